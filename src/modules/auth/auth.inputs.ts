import { Field, InputType } from 'type-graphql';
import { IsEmail, Length, Matches, MaxLength } from 'class-validator';

const NOT_BLANK = /\S/;

@InputType()
export class RegisterInput {
  @Field()
  @IsEmail()
  @MaxLength(320)
  email: string;

  @Field({ description: '8 to 128 characters, not a common password' })
  password: string;

  @Field()
  @Length(1, 100)
  @Matches(NOT_BLANK, { message: 'firstName must not be blank' })
  firstName: string;

  @Field()
  @Length(1, 100)
  @Matches(NOT_BLANK, { message: 'lastName must not be blank' })
  lastName: string;

  @Field({ description: 'Name of the organization created for you; its slug is derived from it' })
  @Length(1, 200)
  @Matches(NOT_BLANK, { message: 'businessName must not be blank' })
  businessName: string;
}

@InputType()
export class LoginInput {
  @Field()
  @MaxLength(320)
  email: string;

  @Field()
  @MaxLength(1024)
  password: string;
}
