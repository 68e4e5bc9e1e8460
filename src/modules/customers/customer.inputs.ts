import { ArgsType, Field, InputType, Int, ObjectType } from 'type-graphql';
import { IsEmail, IsOptional, Length, Matches, MaxLength } from 'class-validator';
import { ConnectionType, PaginationArgs } from '../../core/graphql/connection';
import { Customer } from './customer.entity';

const PHONE = /^\+?[0-9 ()./-]{3,40}$/;

@InputType('CustomerContactInput')
abstract class CustomerContactInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsEmail()
  @MaxLength(320)
  email?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Matches(PHONE, { message: 'phone must be digits, spaces and + ( ) . / - only' })
  phone?: string | null;
}

@InputType()
export class CreateCustomerInput extends CustomerContactInput {
  @Field()
  @Length(1, 200)
  name: string;
}

@InputType({ description: 'Only the fields given are changed; null clears email or phone' })
export class UpdateCustomerInput extends CustomerContactInput {
  @Field({ nullable: true })
  @IsOptional()
  @Length(1, 200)
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
