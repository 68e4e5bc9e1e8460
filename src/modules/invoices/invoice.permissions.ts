import { canRead, canWrite, type PermissionTree } from '../memberships';

/** Invoices are tenant data: VIEWER reads, MEMBER writes; API keys need invoices:read / invoices:write. */
export const invoicePermissions: PermissionTree = {
  Query: {
    invoice: canRead('invoices'),
    invoices: canRead('invoices'),
  },
  Mutation: {
    createInvoiceFromQuote: canWrite('invoices'),
    sendInvoice: canWrite('invoices'),
    markInvoicePaid: canWrite('invoices'),
    voidInvoice: canWrite('invoices'),
  },
};
