import { ArgsType, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { IsOptional, ValidateNested } from 'class-validator';
import { ConnectionType, PaginationArgs } from '../../core/graphql/connection';
import { CalendarDate } from '../../core/validation/input-rules.decorators';
import { Invoice } from './invoice.entity';
import { InvoiceStatus } from './invoice-status';

@ArgsType()
export class CreateInvoiceArgs {
  @Field(() => ID)
  quoteId: string;

  @Field(() => String, {
    nullable: true,
    description: "YYYY-MM-DD, not before the issue date (today); defaults to the organization's payment terms",
  })
  @IsOptional()
  @CalendarDate()
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
