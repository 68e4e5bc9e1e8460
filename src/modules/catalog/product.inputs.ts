import { ArgsType, Field, InputType, Int, ObjectType } from 'type-graphql';
import { IsOptional, Length, Matches, MaxLength } from 'class-validator';
import { ConnectionType, PaginationArgs } from '../../core/graphql/connection';
import { NotBlank, PatchField } from '../../core/validation/input-rules.decorators';
import { DecimalScalar } from './decimal';
import { Product } from './product.entity';

const CURRENCY = /^[A-Z]{3}$/;
const SKU = /^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$/;
const CURRENCY_MESSAGE = 'currency must be a 3-letter ISO 4217 code';
const SKU_MESSAGE = 'sku must be 1-64 letters, digits or . _ - /';

@InputType()
export class CreateProductInput {
  @Field()
  @Length(1, 200)
  @NotBlank()
  name: string;

  @Field()
  @Matches(SKU, { message: SKU_MESSAGE })
  sku: string;

  @Field(() => DecimalScalar, { description: 'Non-negative, at most 2 decimal places' })
  unitPrice: string;

  @Field()
  @Matches(CURRENCY, { message: CURRENCY_MESSAGE })
  currency: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(10_000)
  description?: string | null;

  @Field(() => String, { nullable: true, description: 'Defaults to "unit"' })
  @IsOptional()
  @Length(1, 40)
  unit?: string | null;

  @Field(() => DecimalScalar, {
    nullable: true,
    description: 'Percent, 0 to 100, up to 3 decimal places; defaults to 0',
  })
  @IsOptional()
  taxRate?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Defaults to true' })
  @IsOptional()
  isOwnProduct?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'Defaults to true' })
  @IsOptional()
  active?: boolean | null;
}

@InputType({ description: 'Only the fields given are changed' })
export class UpdateProductInput {
  @PatchField(() => String)
  @Length(1, 200)
  @NotBlank()
  name?: string;

  @PatchField(() => String)
  @Matches(SKU, { message: SKU_MESSAGE })
  sku?: string;

  @PatchField(() => DecimalScalar, { description: 'Non-negative, at most 2 decimal places' })
  unitPrice?: string;

  @PatchField(() => String)
  @Matches(CURRENCY, { message: CURRENCY_MESSAGE })
  currency?: string;

  @PatchField(() => String, { clearable: true })
  @MaxLength(10_000)
  description?: string | null;

  @PatchField(() => String)
  @Length(1, 40)
  @NotBlank()
  unit?: string;

  @PatchField(() => DecimalScalar, { description: 'Percent, 0 to 100, up to 3 decimal places' })
  taxRate?: string;

  @PatchField(() => Boolean)
  isOwnProduct?: boolean;

  @PatchField(() => Boolean)
  active?: boolean;
}

@ArgsType()
export class ProductsArgs extends PaginationArgs {
  @Field(() => String, {
    nullable: true,
    description: 'Full-text search over name, description and SKU (all words must match)',
  })
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
