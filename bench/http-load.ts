import autocannon from 'autocannon';
import type { BenchContext } from './bench-context';
import { mainThreadCpuMs } from './cpu-usage';

/** What one load run measured against one server. */
export interface HttpLoadFigures {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  /** Non-2xx answers, errors and timeouts of the measured run. */
  failures: number;
  /** Requests of the measured run. */
  requests: number;
  /** 2xx answers, warm-up included. */
  answered: number;
  /** This process's main-thread CPU per measured request (the server runs here); undefined where unreadable. */
  serverCpuMs?: number;
}

export interface HttpLoad {
  label: string;
  url: string;
  connections: number;
  requests: autocannon.Request[];
  /** Other autocannon options (e.g. `workers`, `pipelining`); the load runs in one worker thread by default. */
  autocannon?: Partial<autocannon.Options>;
}

/** Warms the server up, then measures it: the one autocannon routine of every bench section. */
export async function runHttpLoad(context: BenchContext, load: HttpLoad): Promise<HttpLoadFigures> {
  const { warmupSeconds, loadSeconds } = context.options;
  context.print(
    `  ${load.label}: warm-up ${warmupSeconds} s, then ${loadSeconds} s at ${load.connections} connections`,
  );
  const fire = (duration: number) =>
    autocannon({
      url: load.url,
      connections: load.connections,
      duration,
      workers: 1,
      requests: load.requests,
      ...load.autocannon,
    });
  const warmup = await fire(warmupSeconds);
  const cpuBefore = mainThreadCpuMs();
  const result = await fire(loadSeconds);
  const cpuAfter = mainThreadCpuMs();
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
    requests: result.requests.total,
    answered: warmup['2xx'] + result['2xx'],
    serverCpuMs:
      cpuBefore === undefined || cpuAfter === undefined || !result.requests.total
        ? undefined
        : (cpuAfter - cpuBefore) / result.requests.total,
  };
}
