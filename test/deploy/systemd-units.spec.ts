import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/core/config/config';

/** deploy/*.service: the processes docker-compose.yml and the tests start, stopped the way the drain expects. */

const root = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

/** `[Service]` keys of a unit file (a repeated key keeps every value). */
function serviceSection(file: string): Record<string, string[]> {
  const keys: Record<string, string[]> = {};
  let section = '';
  for (const line of read(file).split('\n')) {
    const header = /^\[(\w+)\]$/.exec(line.trim());
    if (header) section = header[1];
    const entry = /^(\w+)=(.*)$/.exec(line.trim());
    if (section === 'Service' && entry) (keys[entry[1]] ??= []).push(entry[2]);
  }
  return keys;
}

/** `Environment=A=1 B=2` lines as one object (`%i` of a template as instance 1). */
const environmentOf = (unit: Record<string, string[]>) =>
  Object.fromEntries(
    (unit.Environment ?? [])
      .flatMap((line) => line.split(/\s+/))
      .map((pair) => pair.replace('%i', '1').split('=') as [string, string]),
  );

const compose = parse(read('docker-compose.yml')) as { services: Record<string, { command?: string[] }> };
const documented = new Set(
  read('.env.example')
    .split('\n')
    .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1]),
);
const defaults = loadConfig({});
const FINAL_STEPS_MS = 5000; // src/app/bootstrap.ts: flushes, pool, embedded database after the drain

const workerStopMs = defaults.shutdownGraceMs + FINAL_STEPS_MS;
const units = [
  { file: 'deploy/tenantql-api.service', service: 'api', stopsWithinMs: defaults.shutdownReadyDelayMs + workerStopMs },
  { file: 'deploy/tenantql-worker@.service', service: 'worker', stopsWithinMs: workerStopMs },
];

describe.each(units)('$file', ({ file, service, stopsWithinMs }) => {
  const unit = serviceSection(file);

  it(`starts what docker-compose.yml's ${service} service starts, from the checkout`, () => {
    expect(unit.ExecStart).toEqual([`/usr/bin/${compose.services[service].command!.join(' ')}`]);
    expect(unit.WorkingDirectory).toEqual(['/opt/tenantql']);
    expect(unit.EnvironmentFile).toEqual(['/etc/tenantql/tenantql.env']);
  });

  it('signals node alone with SIGTERM and waits longer than the drain before SIGKILL', () => {
    const stop = { signal: unit.KillSignal, mode: unit.KillMode, restart: unit.Restart };
    expect(stop).toEqual({ signal: ['SIGTERM'], mode: ['mixed'], restart: ['always'] });
    expect(Number(unit.TimeoutStopSec[0]) * 1000).toBeGreaterThan(stopsWithinMs);
  });

  it('sets only documented variables, which production accepts with the operator-provided ones', () => {
    const environment = environmentOf(unit);
    expect(Object.keys(environment).filter((name) => !documented.has(name))).toEqual([]);
    const operator = {
      JWT_SECRET_KEY: 'j'.repeat(48),
      ENCRYPTION_KEY: 'e'.repeat(64),
      DATABASE_URL: 'postgres://db.internal/tenantql',
    };
    expect(loadConfig({ ...operator, ...environment })).toMatchObject({ isProduction: true, migrateOnStart: false });
  });

  it('is referenced from docs/operations.md', () => {
    expect(read('docs/operations.md')).toContain(file);
  });
});
