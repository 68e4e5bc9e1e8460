import type { ContainerType } from 'type-graphql';
import type { Pool } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import type { AppConfig } from '../core/config/config';
import { byIdRelation } from '../core/graphql/relations';
import { createLogger } from '../core/logging/logger';
import { createMailTransport, MailOutbox, MailTemplates } from '../integrations/mail';
import { MailboxReader } from '../integrations/imap';
import { createLlmClient } from '../integrations/llm';
import {
  ApiKeyResolver,
  ApiKeyService,
  ApiKeyUsageRecorder,
  createApiKeyStep,
  REVOKED_API_KEYS_CHANNEL,
  revokedApiKeysSource,
} from '../modules/api-keys';
import {
  AutomationActions,
  AutomationEngine,
  AutomationRuleResolver,
  AutomationRuleService,
  AutomationSweep,
  TicketAutomationRunsResolver,
} from '../modules/automation';
import {
  AuthResolver,
  AuthService,
  AuthThrottle,
  ENDED_SESSIONS_CHANNEL,
  endedSessionsSource,
  PasswordHasher,
  SessionService,
} from '../modules/auth';
import { JobRunner } from '../core/jobs/job-runner';
import { RevocationFeed } from '../core/revocation/revocation-feed';
import { SecretBox } from '../core/crypto/secret-box';
import { EventFeed } from '../core/events/event-feed';
import { addFirstProductStep, ProductResolver, ProductService } from '../modules/catalog';
import {
  ContractRelationsResolver,
  ContractResolver,
  ContractService,
  CustomerContractsResolver,
  QuoteContractResolver,
} from '../modules/contracts';
import { AuditActorResolver, AuditLogResolver, AuditService } from '../modules/audit';
import { CustomerResolver, CustomerService } from '../modules/customers';
import {
  EMAIL_REPLY_KEY_PREFIX,
  EmailChannelResolver,
  EmailChannelService,
  emailChannelConfiguredStep,
  EmailReplyChannel,
  recordEmailReplyDelivery,
} from '../modules/email-channel';
import {
  CustomerInvoicesResolver,
  InvoiceRelationsResolver,
  InvoiceResolver,
  InvoiceSender,
  InvoiceService,
  invoicePdfRoute,
  QuoteInvoicesResolver,
} from '../modules/invoices';
import { JobResolver, JobService } from '../modules/jobs';
import { mcpAccessGate } from '../modules/mcp';
import {
  ArticleResolver,
  ArticleService,
  ArticleTicketsResolver,
  TicketArticlesResolver,
  ticketArticleResolvers,
} from '../modules/knowledge-base';
import {
  ClerkWebhookService,
  clerkWebhookRoute,
  ExternalTenants,
  ProviderSignIn,
  ProviderTokenVerifier,
} from '../modules/identity';
import { inviteTeamStep, MembershipResolver, MembershipService } from '../modules/memberships';
import {
  OnboardingResolver,
  OnboardingService,
  type Clock,
  type OnboardingStepDefinition,
} from '../modules/onboarding';
import { createPaymentServices, paymentMethodStep, PaymentsResolver } from '../modules/payments';
import {
  ApiCallMeter,
  EntitlementService,
  PlanCatalog,
  PlanResolver,
  PlanService,
  RequestAllowance,
  UsageWarnings,
} from '../modules/plans';
import {
  CustomerQuotesResolver,
  DocumentMailer,
  ProductMatcher,
  QuoteDocumentService,
  QuoteGenerationResolver,
  QuoteGenerationService,
  QuotePdf,
  quotePdfRoute,
  QuoteResolver,
  QuoteSender,
  QuoteService,
} from '../modules/quotes';
import { businessProfileStep, SettingsResolver, SettingsService } from '../modules/settings';
import { EventSubscriptionResolver, EventSubscriptionService } from '../modules/subscriptions';
import { TenantMigrator, TenantResolver, TenantService, TenantSpares } from '../modules/tenants';
import { PlanCode } from '../modules/plans';
import {
  CustomerTicketsResolver,
  SlaMonitor,
  SlaPolicyResolver,
  SlaPolicyService,
  SlaReportResolver,
  SlaReportService,
  TicketMessageResolver,
  TicketResolver,
  TicketService,
} from '../modules/tickets';
import { UserAdminService, UserResolver, UserService } from '../modules/users';
import { createWebhookServices, WebhookResolver } from '../modules/webhooks';
import { createWhatsAppServices, WhatsAppChannelResolver, whatsAppConfiguredStep } from '../modules/whatsapp-channel';
import type { HttpRouteMount } from './http-routes';
import { apiKeyScopes } from './permissions';

/**
 * The onboarding checklist, in display order. Modules contribute steps that follow their
 * state (a `completedAt`); a step without one is ticked by hand.
 */
const onboardingSteps = (): OnboardingStepDefinition[] => [
  businessProfileStep,
  inviteTeamStep,
  createApiKeyStep,
  paymentMethodStep,
  emailChannelConfiguredStep,
  whatsAppConfiguredStep,
  addFirstProductStep,
];

/** A plan a platform admin assigns is paid up for a year (no trial, no payment provider). */
const adminPlanPeriod = (start: Date) => ({
  periodStart: start,
  periodEnd: new Date(start.getTime() + 365 * 86_400_000),
  provider: 'ADMIN',
});

export interface ServiceOptions {
  /** The clock onboarding reminders, trials and usage periods follow (tests control it). */
  now?: Clock;
}

/** The composition root: every service built once per process, wired by hand. */
export function createServices(
  config: AppConfig,
  dataSource: DataSource,
  databaseUrl: string,
  options: ServiceOptions = {},
) {
  const tenantMigrator = new TenantMigrator(dataSource);
  const now = options.now ?? (() => new Date());
  const plans = new PlanService({ dataSource, config, now });
  const tenantSpares = new TenantSpares(dataSource, tenantMigrator, config.tenantSpareSchemas);
  const tenants = new TenantService(dataSource, tenantMigrator, {
    spares: tenantSpares,
    databaseUrl,
    backupDir: config.backupDir,
    pgDumpPath: config.pgDumpPath,
    // New organizations start their trial in the transaction that creates them; a platform admin may pick a plan.
    onProvisioned: async (em, tenantId, input) =>
      void (input.plan
        ? await plans.activatePlan(em, tenantId, input.plan as PlanCode, adminPlanPeriod(now()))
        : await plans.startTrial(em, tenantId)),
  });
  // The job queue services enqueue on; it processes jobs only once bootstrap starts it.
  // Agenda's LISTEN connection cannot go through a transaction pooler: JOBS_DATABASE_URL may point past it.
  const jobs = new JobRunner({ config, databaseUrl: config.database.jobsUrl ?? databaseUrl });
  const logger = createLogger(config.logLevel);
  /** Channel credentials at rest (ENCRYPTION_KEY). */
  const secrets = SecretBox.fromKey(config.encryptionKey, config.isProduction, config.previousEncryptionKeys);
  const mailOutbox = new MailOutbox(dataSource, createMailTransport(config, logger), logger, {
    maxAttempts: config.email.outboxMaxAttempts,
  });
  const users = new UserService(dataSource);
  const sessions = new SessionService(dataSource, config.jwt.refreshExpirationDays);
  const templates = new MailTemplates(config.productName);
  const planCatalog = new PlanCatalog(dataSource, config.plans.cacheTtlMs);
  const usageWarnings = new UsageWarnings({ outbox: mailOutbox, templates, config, now });
  const apiCalls = new ApiCallMeter({ dataSource, catalog: planCatalog, warnings: usageWarnings, config, logger, now });
  const requestAllowance = new RequestAllowance(dataSource, planCatalog, config.plans.cacheTtlMs);
  const entitlements = new EntitlementService({ catalog: planCatalog, warnings: usageWarnings, config, apiCalls, now });
  const customers = new CustomerService(entitlements);
  const audit = new AuditService();
  const products = new ProductService();
  const settings = new SettingsService();
  const tickets = new TicketService({
    entitlements,
    customers,
    now,
    calendarOf: (manager) => settings.businessCalendar(manager),
  });
  const slaPolicies = new SlaPolicyService(entitlements);
  const auth = new AuthService({
    dataSource,
    config,
    users,
    tenants,
    sessions,
    // The app's own pool (looked up when first used), so throttling shares its connections.
    throttle: new AuthThrottle(
      { query: (q) => ((dataSource.driver as PostgresDriver).master as Pool).query(q) },
      {
        loginMaxFailures: config.auth.loginMaxFailures,
        loginMaxFailuresPerIp: config.auth.loginMaxFailuresPerIp,
        perHour: config.auth.rateLimitPerHour,
      },
    ),
    hasher: new PasswordHasher(),
    outbox: mailOutbox,
    templates,
    logger,
  });
  // Access tokens end with their session, cached API keys with their revocation: API processes hold what was
  // revoked, on one listener (LISTEN needs a direct connection).
  const listenUrl = config.database.jobsUrl ?? databaseUrl;
  const revocations = new RevocationFeed({
    connectionString: listenUrl,
    sources: [endedSessionsSource(dataSource, config.jwt), revokedApiKeysSource(dataSource, config.apiKeys.cacheTtlMs)],
    logger,
  });
  const endedSessions = revocations.of(ENDED_SESSIONS_CHANNEL);
  const apiKeys = new ApiKeyService({
    dataSource,
    environment: config.isProduction ? 'live' : 'test',
    scopes: apiKeyScopes,
    usage: new ApiKeyUsageRecorder(dataSource, logger, config.apiKeys.usageFlushMs),
    entitlements,
    cache: { ttlMs: config.apiKeys.cacheTtlMs, max: config.apiKeys.cacheMax },
    revoked: revocations.of(REVOKED_API_KEYS_CHANNEL),
  });
  // Domain events as they commit, for GraphQL subscriptions: one LISTEN and one row load per process.
  const { replayMaxEvents, replayMaxAgeMs } = config.subscriptions;
  const replay = { maxEvents: replayMaxEvents, maxAgeMs: replayMaxAgeMs };
  const eventFeed = new EventFeed({ listenUrl, dataSource, logger, replay });
  const eventSubscriptions = new EventSubscriptionService(eventFeed, 2 * replayMaxEvents);
  const userAdmin = new UserAdminService(dataSource, (em, userId) => sessions.revokeAll(em, userId, 'USER_SUSPENDED'));
  const memberships = new MembershipService({ dataSource, config, users, outbox: mailOutbox, templates, entitlements });
  // Sign-in through external OpenID providers, beside the built-in accounts.
  const externalTenants = new ExternalTenants({
    dataSource,
    tenants,
    memberships,
    primaryProvider: config.oidc.providers[0]?.issuer,
  });
  const providerSignIn = new ProviderSignIn({
    dataSource,
    verifier: new ProviderTokenVerifier(config.oidc.providers, config.oidc.clockSkewSeconds),
    users,
    memberships,
    externalTenants,
    hasher: new PasswordHasher(),
    autoProvision: config.oidc.autoProvision,
  });
  const clerkWebhooks = new ClerkWebhookService({
    dataSource,
    secret: config.clerk.webhookSecret,
    externalTenants,
    tenants,
    users,
    memberships,
  });
  const slaMonitor = new SlaMonitor({
    outbox: mailOutbox,
    templates,
    config,
    now,
    timezoneOf: (manager) => settings.timezone(manager),
  });
  const quoteDocuments = new QuoteDocumentService((manager) => settings.get(manager));
  const quotes = new QuoteService({
    entitlements,
    customers,
    products,
    documents: quoteDocuments,
    timezoneOf: (manager) => settings.timezone(manager),
    now,
  });
  const quotePdf = new QuotePdf({
    quotes,
    documents: quoteDocuments,
    customers,
    settingsOf: (manager) => settings.get(manager),
  });
  /** Quotes and invoices go to customers the same way: PDF attached, under the tenant's name. */
  const documentMailer = new DocumentMailer({
    customers,
    outbox: mailOutbox,
    settingsOf: (manager) => settings.get(manager),
  });
  const quoteSender = new QuoteSender({ quotes, pdf: quotePdf, mailer: documentMailer, templates });
  const quoteGeneration = new QuoteGenerationService({
    quotes,
    customers,
    entitlements,
    matcher: new ProductMatcher(),
    llm: createLlmClient(config.llm),
    settingsOf: (manager) => settings.get(manager),
    now,
    logger,
  });
  const contracts = new ContractService({ quotes, timezoneOf: (manager) => settings.timezone(manager), now });
  const invoices = new InvoiceService({
    entitlements,
    quotes,
    termsOf: (manager) => settings.invoiceTerms(manager),
    now,
  });
  const payments = createPaymentServices({
    config,
    dataSource,
    plans,
    catalog: planCatalog,
    memberships,
    outbox: mailOutbox,
    templates,
    now,
  });
  const webhooks = createWebhookServices({
    config,
    dataSource,
    listenUrl,
    secrets,
    entitlements,
    members: memberships,
    outbox: mailOutbox,
    logger,
  });
  // Registers its reply channel with the tickets module.
  const whatsApp = createWhatsAppServices({ config, dataSource, secrets, entitlements, tickets, logger });
  /** How mail to a tenant's customers names it: its legal name, else its name. */
  const companyNameOf = async (manager: EntityManager, tenantId: string) =>
    (await settings.get(manager)).legalName ?? (await tenants.get(tenantId, manager)).name;
  const emailChannels = new EmailChannelService({
    secrets,
    reader: new MailboxReader(),
    tickets,
    outbox: mailOutbox,
    templates,
    companyNameOf,
    platformFrom: config.email.from,
    maxMessageBytes: config.emailChannel.maxMessageBytes,
    now,
  });
  tickets.registerReplyChannel(
    new EmailReplyChannel({ channels: emailChannels, outbox: mailOutbox, templates, companyNameOf }),
  );
  // Email replies become SENT or FAILED as the outbox settles them.
  mailOutbox.onSettled(
    EMAIL_REPLY_KEY_PREFIX,
    recordEmailReplyDelivery({ dataSource, tickets, channels: emailChannels }),
  );
  const onboarding = new OnboardingService({
    steps: onboardingSteps(),
    config,
    outbox: mailOutbox,
    templates,
    timezoneOf: (manager) => settings.timezone(manager),
    now,
  });

  // Relation fields: the to-one quote loader is shared by Contract.quote and Invoice.quote (one cache per operation).
  const quoteById = byIdRelation((manager, ids) => quotes.byIds(manager, ids));
  const articles = new ArticleService();
  // Ticket automation rules run in the transaction of the ticket change that triggers them (an event hook).
  const automationEngine = new AutomationEngine({
    actions: new AutomationActions({
      tickets,
      articles,
      outbox: mailOutbox,
      templates,
      frontendUrl: config.frontendUrl,
    }),
    tickets,
    calendarOf: (manager) => settings.businessCalendar(manager),
    now,
  });
  automationEngine.register(dataSource);
  const automationRules = new AutomationRuleService({ entitlements, engine: automationEngine, now });
  const automationSweep = new AutomationSweep({ dataSource, engine: automationEngine, now });
  const { ticketArticles, articleTickets } = ticketArticleResolvers(articles, tickets);
  const resolverInstances = new Map<Function, unknown>([
    [
      TenantResolver,
      new TenantResolver(
        tenants,
        (user, input) => auth.createOwnedTenant(user, input),
        (input) => externalTenants.createForAdmin(input),
      ),
    ],
    [UserResolver, new UserResolver(users, userAdmin)],
    [AuthResolver, new AuthResolver(auth)],
    [CustomerResolver, new CustomerResolver(customers)],
    [ProductResolver, new ProductResolver(products)],
    [QuoteResolver, new QuoteResolver(quotes, quoteDocuments, quoteSender)],
    [
      CustomerQuotesResolver,
      new CustomerQuotesResolver((manager, ids, options) => quotes.pagesForCustomers(manager, ids, options)),
    ],
    [QuoteGenerationResolver, new QuoteGenerationResolver(quoteGeneration)],
    [ContractResolver, new ContractResolver(contracts)],
    [ContractRelationsResolver, new ContractRelationsResolver(quoteById)],
    [QuoteContractResolver, new QuoteContractResolver(contracts)],
    [
      CustomerContractsResolver,
      new CustomerContractsResolver((manager, ids, options) => contracts.pagesForCustomers(manager, ids, options)),
    ],
    [
      InvoiceResolver,
      new InvoiceResolver(invoices, new InvoiceSender({ invoices, mailer: documentMailer, templates })),
    ],
    [InvoiceRelationsResolver, new InvoiceRelationsResolver(quoteById)],
    [QuoteInvoicesResolver, new QuoteInvoicesResolver(invoices)],
    [
      CustomerInvoicesResolver,
      new CustomerInvoicesResolver((manager, ids, options) => invoices.pagesForCustomers(manager, ids, options)),
    ],
    [JobResolver, new JobResolver(new JobService(jobs))],
    [MembershipResolver, new MembershipResolver(memberships)],
    [ApiKeyResolver, new ApiKeyResolver(apiKeys)],
    [SettingsResolver, new SettingsResolver(settings)],
    [OnboardingResolver, new OnboardingResolver(onboarding)],
    [PlanResolver, new PlanResolver(planCatalog, plans, entitlements)],
    [PaymentsResolver, payments.resolver],
    [TicketResolver, new TicketResolver(tickets)],
    [TicketMessageResolver, new TicketMessageResolver()],
    [
      CustomerTicketsResolver,
      new CustomerTicketsResolver((manager, ids, options) => tickets.pagesForCustomers(manager, ids, options)),
    ],
    [SlaPolicyResolver, new SlaPolicyResolver(slaPolicies)],
    [
      SlaReportResolver,
      new SlaReportResolver(new SlaReportService(entitlements, (manager) => settings.businessCalendar(manager), now)),
    ],
    [ArticleResolver, new ArticleResolver(articles)],
    [TicketArticlesResolver, ticketArticles],
    [ArticleTicketsResolver, articleTickets],
    [WhatsAppChannelResolver, whatsApp.resolver],
    [EmailChannelResolver, new EmailChannelResolver(emailChannels)],
    [AutomationRuleResolver, new AutomationRuleResolver(automationRules)],
    [TicketAutomationRunsResolver, new TicketAutomationRunsResolver()],
    [AuditLogResolver, new AuditLogResolver(audit)],
    [AuditActorResolver, new AuditActorResolver()],
    [WebhookResolver, webhooks.resolver],
    [EventSubscriptionResolver, new EventSubscriptionResolver()],
  ]);
  /** REST routes of modules (mounted by the HTTP app before /graphql). */
  const httpRoutes: HttpRouteMount[] = [
    quotePdfRoute(quotePdf),
    invoicePdfRoute({ invoices, customers, settingsOf: (manager) => settings.get(manager) }),
    whatsApp.webhookRoute,
    clerkWebhookRoute(clerkWebhooks),
  ];

  const container: ContainerType = {
    get(resolverClass) {
      const instance = resolverInstances.get(resolverClass);
      if (!instance) throw new Error(`No instance registered for resolver ${resolverClass.name}`);
      return instance;
    },
  };
  return {
    config,
    dataSource,
    /** The clock services follow (tests control it); sweeps compare due times with it. */
    now,
    tenantMigrator,
    tenants,
    tenantSpares,
    customers,
    products,
    quotes,
    quoteGeneration,
    contracts,
    invoices,
    tickets,
    slaPolicies,
    slaMonitor,
    jobs,
    users,
    auth,
    mailOutbox,
    apiKeys,
    /** The revocation feed (ended sessions, revoked API keys): started before serving, closed after. */
    revocations,
    endedSessions,
    eventFeed,
    eventSubscriptions,
    /** What the HTTP app checks credentials with: API keys, and access tokens against ended sessions. */
    credentials: {
      authenticate: (secret: string) => apiKeys.authenticate(secret),
      endedSessions,
      providerTokens: config.oidc.providers.length ? providerSignIn : undefined,
    },
    providerSignIn,
    externalTenants,
    clerkWebhooks,
    memberships,
    settings,
    onboarding,
    plans,
    planCatalog,
    entitlements,
    apiCalls,
    /** Requests per minute of an organization's API keys (its plan's), for the request rate limit. */
    tenantRequestsPerMinute: (tenantId: string) => requestAllowance.perMinute(tenantId),
    payments,
    httpRoutes,
    /** What /mcp checks before each tool call: the plan's `mcp_access`. */
    mcp: { requireAccess: mcpAccessGate(entitlements, dataSource) },
    secrets,
    whatsApp,
    webhooks,
    emailChannels,
    automationRules,
    automationSweep,
    audit,
    container,
  };
}

export type Services = ReturnType<typeof createServices>;
