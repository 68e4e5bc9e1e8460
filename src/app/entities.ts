import { ApiKey } from '../modules/api-keys';
import { AutomationRule, AutomationRun } from '../modules/automation';
import { Product } from '../modules/catalog';
import { Article } from '../modules/knowledge-base';
import { Customer } from '../modules/customers';
import { EmailChannel } from '../modules/email-channel';
import { Contract, ContractLineItem } from '../modules/contracts';
import { Invoice, InvoiceLineItem } from '../modules/invoices';
import { Invitation } from '../modules/memberships';
import { PaymentTransaction } from '../modules/payments';
import { Subscription } from '../modules/plans';
import { Quote, QuoteDocumentVersion, QuoteLineItem } from '../modules/quotes';
import { TenantSettings } from '../modules/settings';
import { Tenant } from '../modules/tenants';
import { SlaPolicy, Ticket, TicketMessage, TicketStatusChange } from '../modules/tickets';
import { Membership, User } from '../modules/users';

/** Every TypeORM entity: `public` ones declare their schema, tenant ones do not. */
export const entities = [
  Tenant,
  Customer,
  Product,
  Quote,
  QuoteLineItem,
  QuoteDocumentVersion,
  Contract,
  ContractLineItem,
  Invoice,
  InvoiceLineItem,
  User,
  Membership,
  Invitation,
  ApiKey,
  TenantSettings,
  Subscription,
  PaymentTransaction,
  Ticket,
  TicketMessage,
  TicketStatusChange,
  SlaPolicy,
  Article,
  EmailChannel,
  AutomationRule,
  AutomationRun,
];
