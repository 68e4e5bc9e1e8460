import { ArgsType, Field, InputType, Int, ObjectType } from 'type-graphql';
import { IsOptional, Length, Matches, MaxLength } from 'class-validator';
import { ConnectionType, PaginationArgs } from '../../core/graphql/connection';
import { DecimalScalar } from './decimal';
import { Product } from './product.entity';

const CURRENCY = /^[A-Z]{3}$/;
const SKU = /^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$/;

@InputType('ProductFieldsInput')
abstract class ProductFieldsInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(10_000)
  description?: string | null;

  @Field({ nullable: true, description: 'Defaults to "unit" on create' })
  @IsOptional()
  @Length(1, 40)
  unit?: string;

  @Field(() => DecimalScalar, { nullable: true, description: 'Percent, 0 to 100, up to 3 decimal places; defaults to 0' })
  @IsOptional()
  taxRate?: string;

  @Field({ nullable: true, description: 'Defaults to true' })
  @IsOptional()
  isOwnProduct?: boolean;

  @Field({ nullable: true, description: 'Defaults to true' })
  @IsOptional()
  active?: boolean;
}

@InputType()
export class CreateProductInput extends ProductFieldsInput {
  @Field()
  @Length(1, 200)
  name: string;

  @Field()
  @Matches(SKU, { message: 'sku must be 1-64 letters, digits or . _ - /' })
  sku: string;

  @Field(() => DecimalScalar, { description: 'Non-negative, at most 2 decimal places' })
  unitPrice: string;

  @Field()
  @Matches(CURRENCY, { message: 'currency must be a 3-letter ISO 4217 code' })
  currency: string;
}

@InputType({ description: 'Only the fields given are changed; null clears the description' })
export class UpdateProductInput extends ProductFieldsInput {
  @Field({ nullable: true })
  @IsOptional()
  @Length(1, 200)
  name?: string;

  @Field({ nullable: true })
  @IsOptional()
  @Matches(SKU, { message: 'sku must be 1-64 letters, digits or . _ - /' })
  sku?: string;

  @Field(() => DecimalScalar, { nullable: true })
  @IsOptional()
  unitPrice?: string;

  @Field({ nullable: true })
  @IsOptional()
  @Matches(CURRENCY, { message: 'currency must be a 3-letter ISO 4217 code' })
  currency?: string;
}

@ArgsType()
export class ProductsArgs extends PaginationArgs {
  @Field(() => String, { nullable: true, description: 'Full-text search over name, description and SKU (all words must match)' })
  @IsOptional()
  @MaxLength(200)
  search?: string;

  @Field({ nullable: true, description: 'Only active (true) or inactive (false) products' })
  @IsOptional()
  active?: boolean;
}

@ObjectType()
export class ProductConnection extends ConnectionType(Product, 'Product') {
  @Field(() => Int, { description: 'Products matching the filters, all pages' })
  totalCount: number;
}
