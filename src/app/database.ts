import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../core/config/config';
import { createDataSource } from '../core/database/data-source';
import { startEmbeddedPostgres } from '../core/database/embedded-postgres';
import { entities } from './entities';

export interface Database {
  dataSource: DataSource;
  url: string;
  embedded: boolean;
  close(): Promise<void>;
}

/** Connects to DATABASE_URL, or starts the embedded PostgreSQL (data kept under EMBEDDED_DATABASE_DIR). */
export async function openDatabase(config: AppConfig, logger: Logger, applicationName = 'tenantql'): Promise<Database> {
  let url = config.database.url;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!url) {
    logger.info(
      { dir: config.database.embeddedDir, port: config.database.embeddedPort },
      'DATABASE_URL not set: starting embedded PostgreSQL',
    );
    const embedded = await startEmbeddedPostgres({
      dir: config.database.embeddedDir,
      port: config.database.embeddedPort,
      database: 'tenantql',
      persistent: true,
      log: (line) => logger.debug({ postgres: line.trim() }),
    });
    url = embedded.url;
    stopEmbedded = embedded.stop;
  }
  const dataSource = createDataSource({ url, entities, pool: config.database, applicationName });
  try {
    await dataSource.initialize();
  } catch (error) {
    await stopEmbedded?.();
    throw error;
  }
  return {
    dataSource,
    url,
    embedded: !!stopEmbedded,
    close: async () => {
      await dataSource.destroy().catch((error) => logger.warn({ err: error }, 'closing the pool failed'));
      await stopEmbedded?.();
    },
  };
}
