import type { ContainerType } from 'type-graphql';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import type { AppConfig } from '../core/config/config';
import { createLogger } from '../core/logging/logger';
import { createMailTransport, MailOutbox, MailTemplates } from '../integrations/mail';
import { AuthResolver, AuthService, AuthThrottle, PasswordHasher, SessionService } from '../modules/auth';
import { JobRunner } from '../core/jobs/job-runner';
import { CustomerResolver, CustomerService } from '../modules/customers';
import { JobResolver, JobService } from '../modules/jobs';
import { TenantMigrator, TenantResolver, TenantService } from '../modules/tenants';
import { UserResolver, UserService } from '../modules/users';

/** The composition root: every service built once per process, wired by hand. */
export function createServices(config: AppConfig, dataSource: DataSource, databaseUrl: string) {
  const tenantMigrator = new TenantMigrator(dataSource);
  const tenants = new TenantService(dataSource, tenantMigrator, { databaseUrl, backupDir: config.backupDir, pgDumpPath: config.pgDumpPath });
  const customers = new CustomerService();
  // The job queue services enqueue on; it processes jobs only once bootstrap starts it.
  const jobs = new JobRunner({ config, databaseUrl });
  const logger = createLogger(config.logLevel);
  const mailOutbox = new MailOutbox(dataSource, createMailTransport(config, logger), logger, { maxAttempts: config.email.outboxMaxAttempts });
  const users = new UserService(dataSource);
  const auth = new AuthService({
    dataSource,
    config,
    users,
    tenants,
    sessions: new SessionService(dataSource, config.jwt.refreshExpirationDays),
    // The app's own pool (looked up when first used), so throttling shares its connections.
    throttle: new AuthThrottle({ query: (q) => ((dataSource.driver as PostgresDriver).master as Pool).query(q) }, {
      loginMaxFailures: config.auth.loginMaxFailures,
      loginMaxFailuresPerIp: config.auth.loginMaxFailuresPerIp,
      perHour: config.auth.rateLimitPerHour,
    }),
    hasher: new PasswordHasher(),
    outbox: mailOutbox,
    templates: new MailTemplates(config.productName),
    logger,
  });

  const resolverInstances = new Map<Function, unknown>([
    [TenantResolver, new TenantResolver(tenants, (user, input) => auth.createOwnedTenant(user, input))],
    [UserResolver, new UserResolver(users)],
    [AuthResolver, new AuthResolver(auth)],
    [CustomerResolver, new CustomerResolver(customers)],
    [JobResolver, new JobResolver(new JobService(jobs))],
  ]);
  const container: ContainerType = {
    get(resolverClass) {
      const instance = resolverInstances.get(resolverClass);
      if (!instance) throw new Error(`No instance registered for resolver ${resolverClass.name}`);
      return instance;
    },
  };
  return { config, tenantMigrator, tenants, customers, jobs, users, auth, mailOutbox, container };
}

export type Services = ReturnType<typeof createServices>;
