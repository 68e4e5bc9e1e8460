import { ArgsType, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsOptional,
  IsUUID,
  Length,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { ConnectionType, PaginationArgs } from '../../core/graphql/connection';
import { CalendarDate, NotBlank, PatchField } from '../../core/validation/input-rules.decorators';
import { DecimalScalar } from '../catalog';
import { Quote } from './quote.entity';
import { QuoteStatus } from './quote-status';

const CURRENCY = /^[A-Z]{3}$/;

@InputType({ description: 'With a productId, a missing description, unitPrice or taxRate is taken from the product' })
export class QuoteLineItemInput {
  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  productId?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 2000)
  description?: string | null;

  @Field(() => DecimalScalar, { description: 'Greater than 0, up to 3 decimal places' })
  quantity: string;

  @Field(() => DecimalScalar, { nullable: true, description: 'Up to 2 decimal places' })
  @IsOptional()
  unitPrice?: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Percent, 0 to 100; defaults to 0' })
  @IsOptional()
  discountPercent?: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Percent, 0 to 100' })
  @IsOptional()
  taxRate?: string | null;
}

@InputType()
export class CreateQuoteInput {
  @Field(() => ID)
  customerId: string;

  @Field()
  @Length(1, 200)
  @NotBlank()
  title: string;

  @Field()
  @Matches(CURRENCY, { message: 'currency must be a 3-letter ISO 4217 code' })
  currency: string;

  @Field({ description: 'Last valid day, YYYY-MM-DD; not in the past' })
  @CalendarDate()
  validUntil: string;

  @Field(() => [QuoteLineItemInput])
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  lineItems: QuoteLineItemInput[];
}

@InputType({ description: 'Only while DRAFT. Fields given are changed; lineItems, when given, replace all lines' })
export class UpdateQuoteInput {
  @PatchField(() => String)
  @Length(1, 200)
  @NotBlank()
  title?: string;

  @PatchField(() => String, { description: 'Last valid day, YYYY-MM-DD; not in the past' })
  @CalendarDate()
  validUntil?: string;

  @PatchField(() => [QuoteLineItemInput])
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  lineItems?: QuoteLineItemInput[];
}

@InputType()
export class QuoteFilter {
  @Field(() => QuoteStatus, { nullable: true, description: 'EXPIRED matches open quotes past validUntil' })
  @IsOptional()
  status?: QuoteStatus;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  customerId?: string;

  @Field(() => String, { nullable: true, description: 'Matches title or number (case-insensitive substring)' })
  @IsOptional()
  @MaxLength(200)
  search?: string;
}

@ArgsType()
export class QuotesArgs extends PaginationArgs {
  @Field(() => QuoteFilter, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: QuoteFilter;
}

@ObjectType()
export class QuoteConnection extends ConnectionType(Quote, 'Quote') {
  @Field(() => Int, { description: 'Quotes matching the filter, all pages' })
  totalCount: number;
}
