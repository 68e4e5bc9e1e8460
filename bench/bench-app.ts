import { randomBytes } from 'node:crypto';
import { openDatabase, type Database } from '../src/app/database';
import { loadConfig, type AppConfig } from '../src/core/config/config';
import { PublicMigrator } from '../src/core/database/public-migrator';
import type { Logger } from 'pino';
import { createLogger } from '../src/core/logging/logger';
import type { BenchDatabase } from './bench-database';

export interface BenchApp {
  config: AppConfig;
  logger: Logger;
  database: Database;
  /** PostgreSQL's `server_version`, for the report header. */
  serverVersion: string;
}

/**
 * The app's configuration and migrated database for a bench run on `benchDatabase`: production settings (no stack
 * traces, no introspection), quiet logs and fresh secrets, so nothing a bench does depends on the caller's `.env`.
 */
export async function openBenchApp(benchDatabase: BenchDatabase, applicationName: string): Promise<BenchApp> {
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    DATABASE_URL: benchDatabase.url,
    ADMIN_SECRET: randomBytes(24).toString('hex'),
    JWT_SECRET_KEY: randomBytes(32).toString('hex'),
    ENCRYPTION_KEY: randomBytes(32).toString('hex'),
  });
  const logger = createLogger(config.logLevel);
  const database = await openDatabase(config, logger, applicationName);
  await new PublicMigrator(database.dataSource).migrate();
  const [{ server_version: serverVersion }] = await database.dataSource.query('SHOW server_version');
  return { config, logger, database, serverVersion };
}
