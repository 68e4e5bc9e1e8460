import { FieldResolver, Resolver, Root } from 'type-graphql';
import { canRead, Policy } from '../../core/authorization';
import { defineBatchLoad, type BatchLoad, type OperationScope } from '../../core/tenancy/operation-scope';
import { OperationTenant } from '../../core/tenancy/tenant-request';
import { Quote, QuoteCopyRelationsResolver } from '../quotes';
import { Invoice } from './invoice.entity';
import type { InvoiceService } from './invoice.service';

/** Invoice.customer and Invoice.quote. */
export const InvoiceRelationsResolver = QuoteCopyRelationsResolver(Invoice);

/** Quote.invoices: the invoices module extends Quote (quotes does not know invoices: no import cycle). */
@Resolver(() => Quote)
export class QuoteInvoicesResolver {
  private readonly invoicesOf: BatchLoad<string, Invoice[]>;

  constructor(invoices: InvoiceService) {
    this.invoicesOf = defineBatchLoad(({ manager }, quoteIds) => invoices.forQuotes(manager, quoteIds));
  }

  @Policy(canRead('invoices'))
  @FieldResolver(() => [Invoice], {
    nullable: true,
    description:
      'Invoices made from the quote, oldest first (VOID ones included); FORBIDDEN (and null) without invoices:read',
  })
  invoices(@Root() quote: Quote, @OperationTenant() scope: OperationScope): Promise<Invoice[]> {
    return scope.load(this.invoicesOf, quote.id);
  }
}
