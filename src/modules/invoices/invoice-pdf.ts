import { renderPdf } from '../../integrations/pdf';
import type { Customer } from '../customers';
import { brandingOf, pricedBlocks, type PdfFile } from '../quotes';
import type { TenantSettings } from '../settings';
import type { Invoice } from './invoice.entity';

/** An invoice as a PDF with the tenant's letterhead: dates, status, its copied lines and totals. */
export async function renderInvoicePdf(
  settings: TenantSettings,
  invoice: Invoice,
  customer: Customer,
): Promise<PdfFile> {
  const content = await renderPdf({
    // Dated by its last change: the same invoice renders to the same bytes.
    createdAt: invoice.updatedAt,
    title: `Invoice ${invoice.number}`,
    branding: brandingOf(settings),
    meta: [
      { label: 'Customer', value: customer.name },
      { label: 'Subject', value: invoice.title },
      { label: 'Status', value: invoice.status },
      { label: 'Issue date', value: invoice.issueDate },
      { label: 'Due date', value: invoice.dueDate },
    ],
    blocks: pricedBlocks(invoice),
  });
  return { filename: `${invoice.number}.pdf`, content };
}
