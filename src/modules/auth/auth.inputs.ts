import { Field, InputType } from 'type-graphql';
import { IsEmail, Length, MaxLength } from 'class-validator';
import { NotBlank } from '../../core/validation/input-rules.decorators';

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
  @NotBlank()
  firstName: string;

  @Field()
  @Length(1, 100)
  @NotBlank()
  lastName: string;

  @Field({ description: 'Name of the organization created for you; its slug is derived from it' })
  @Length(1, 200)
  @NotBlank()
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
