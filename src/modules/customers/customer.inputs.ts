import { ArgsType, Field, InputType, Int, ObjectType } from 'type-graphql';
import { IsEmail, IsOptional, Length, Matches, MaxLength } from 'class-validator';
import { ConnectionType, PaginationArgs } from '../../core/graphql/connection';
import { NotBlank, PatchField } from '../../core/validation/input-rules.decorators';
import { Customer } from './customer.entity';

const PHONE = /^\+?[0-9 ()./-]{3,40}$/;

/** Email and phone may be left out or null (none) on create, and cleared with null on update. */
@InputType('CustomerContactInput')
abstract class CustomerContactInput {
  @PatchField(() => String, { clearable: true })
  @IsEmail()
  @MaxLength(320)
  email?: string | null;

  @PatchField(() => String, { clearable: true })
  @Matches(PHONE, { message: 'phone must be digits, spaces and + ( ) . / - only' })
  phone?: string | null;
}

@InputType()
export class CreateCustomerInput extends CustomerContactInput {
  @Field()
  @Length(1, 200)
  @NotBlank()
  name: string;
}

@InputType({ description: 'Only the fields given are changed' })
export class UpdateCustomerInput extends CustomerContactInput {
  @PatchField(() => String)
  @Length(1, 200)
  @NotBlank()
  name?: string;
}

@ArgsType()
export class CustomersArgs extends PaginationArgs {
  @Field(() => String, { nullable: true, description: 'Matches name, email or phone (case-insensitive substring)' })
  @IsOptional()
  @MaxLength(200)
  search?: string;
}

@ObjectType()
export class CustomerConnection extends ConnectionType(Customer, 'Customer') {
  @Field(() => Int, { description: 'Customers matching the search, all pages' })
  totalCount: number;
}
