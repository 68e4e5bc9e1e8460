import path from 'node:path';
import type { GraphQLSchema } from 'graphql';
import { buildSchema, type ContainerType, type PubSub } from 'type-graphql';
import { DateTimeScalar } from '../core/graphql/date-time.scalar';
import { applyPolicies } from '../core/authorization';
import { ApiKeyResolver } from '../modules/api-keys';
import { AutomationRuleResolver, TicketAutomationRunsResolver } from '../modules/automation';
import { AuthResolver } from '../modules/auth';
import { ProductResolver } from '../modules/catalog';
import {
  ContractRelationsResolver,
  ContractResolver,
  CustomerContractsResolver,
  QuoteContractResolver,
} from '../modules/contracts';
import { AuditActorResolver, AuditLogResolver } from '../modules/audit';
import { CustomerResolver } from '../modules/customers';
import { EmailChannelResolver } from '../modules/email-channel';
import {
  CustomerInvoicesResolver,
  InvoiceRelationsResolver,
  InvoiceResolver,
  QuoteInvoicesResolver,
} from '../modules/invoices';
import { JobResolver } from '../modules/jobs';
import { ArticleResolver, ArticleTicketsResolver, TicketArticlesResolver } from '../modules/knowledge-base';
import { MembershipResolver } from '../modules/memberships';
import { OnboardingResolver } from '../modules/onboarding';
import { PaymentsResolver } from '../modules/payments';
import { PlanResolver } from '../modules/plans';
import { CustomerQuotesResolver, QuoteGenerationResolver, QuoteResolver } from '../modules/quotes';
import { SettingsResolver } from '../modules/settings';
import { EventSubscriptionResolver } from '../modules/subscriptions';
import { TenantResolver } from '../modules/tenants';
import {
  CustomerTicketsResolver,
  SlaPolicyResolver,
  SlaReportResolver,
  TicketMessageResolver,
  TicketResolver,
} from '../modules/tickets';
import { UserResolver } from '../modules/users';
import { WebhookResolver } from '../modules/webhooks';
import { WhatsAppChannelResolver } from '../modules/whatsapp-channel';
import { validateArgument } from '../core/validation/argument-validator';

export const resolvers = [
  AuditLogResolver,
  AuditActorResolver,
  TenantResolver,
  CustomerResolver,
  ProductResolver,
  QuoteResolver,
  CustomerQuotesResolver,
  QuoteGenerationResolver,
  ContractResolver,
  ContractRelationsResolver,
  QuoteContractResolver,
  CustomerContractsResolver,
  InvoiceResolver,
  InvoiceRelationsResolver,
  QuoteInvoicesResolver,
  CustomerInvoicesResolver,
  JobResolver,
  UserResolver,
  AuthResolver,
  MembershipResolver,
  ApiKeyResolver,
  SettingsResolver,
  OnboardingResolver,
  PlanResolver,
  PaymentsResolver,
  TicketResolver,
  TicketMessageResolver,
  CustomerTicketsResolver,
  SlaPolicyResolver,
  SlaReportResolver,
  ArticleResolver,
  TicketArticlesResolver,
  ArticleTicketsResolver,
  EmailChannelResolver,
  WhatsAppChannelResolver,
  WebhookResolver,
  EventSubscriptionResolver,
  AutomationRuleResolver,
  TicketAutomationRunsResolver,
] as const;

const ownIteratorsOnly: PubSub = {
  publish() {
    throw new Error('Subscriptions publish through the domain event feed, not a PubSub');
  },
  subscribe() {
    throw new Error('Subscriptions declare their own `subscribe`');
  },
};

export const SCHEMA_FILE = path.resolve(__dirname, '../../schema.graphql');

/**
 * The executable schema with every field's `@Policy` applied (deny by default for root fields, see
 * src/core/authorization). `container` hands TypeGraphQL the resolver instances built by `createServices`.
 */
export async function buildAppSchema(container?: ContainerType): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: [...resolvers],
    container,
    // type-graphql insists on a PubSub; every subscription here brings its own `subscribe` (the event feed).
    pubSub: ownIteratorsOnly,
    // Every date-time input is range-checked by one scalar.
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    // class-validator imported once; validation errors must not echo the submitted object back.
    validateFn: validateArgument,
  });
  return applyPolicies(schema);
}
