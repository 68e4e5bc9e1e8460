import { Client } from 'pg';

export default async function globalTeardown(): Promise<void> {
  const admin = process.env.TEST_DATABASE_ADMIN_URL;
  if (admin && process.env.TEST_TEMPLATE_DATABASE) {
    const client = new Client({ connectionString: admin });
    await client.connect();
    // Test files drop their own databases; sweep what a crashed file left, then the template.
    const { rows } = await client.query(`SELECT datname FROM pg_database WHERE datname LIKE $1 OR datname = $2`, [
      `tenantql_test_${process.env.TEST_RUN_ID}_%`,
      process.env.TEST_TEMPLATE_DATABASE,
    ]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await client.end();
  }
  const embedded = (globalThis as { __EMBEDDED_PG__?: { stop(): Promise<void> } }).__EMBEDDED_PG__;
  await embedded?.stop();
}
