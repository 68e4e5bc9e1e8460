import { ArgsType, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { IsISO8601, IsOptional, Matches, ValidateNested } from 'class-validator';
import { ConnectionType, PaginationArgs } from '../../core/graphql/connection';
import { Invoice } from './invoice.entity';
import { InvoiceStatus } from './invoice-status';

@ArgsType()
export class CreateInvoiceArgs {
  @Field(() => ID)
  quoteId: string;

  @Field(() => String, { nullable: true, description: "YYYY-MM-DD, not before the issue date (today); defaults to the organization's payment terms" })
  @IsOptional()
  @IsISO8601({ strict: true })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'dueDate must be a date YYYY-MM-DD' })
  dueDate?: string | null;
}

@InputType()
export class InvoiceFilter {
  @Field(() => InvoiceStatus, { nullable: true })
  @IsOptional()
  status?: InvoiceStatus;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  customerId?: string;
}

@ArgsType()
export class InvoicesArgs extends PaginationArgs {
  @Field(() => InvoiceFilter, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: InvoiceFilter;
}

@ObjectType()
export class InvoiceConnection extends ConnectionType(Invoice, 'Invoice') {
  @Field(() => Int, { description: 'Invoices matching the filter, all pages' })
  totalCount: number;
}
