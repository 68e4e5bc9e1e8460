import { readdirSync, readFileSync } from 'node:fs';

/** Linux reports CPU times in clock ticks of 1/100 s (USER_HZ). */
const MS_PER_TICK = 10;

/** utime, stime, cutime, cstime (fields 14–17 of /proc/<pid>/stat), in ms; undefined where /proc is missing. */
function statCpuMs(path: string, withReapedChildren: boolean): { ppid: number; ms: number } | undefined {
  try {
    const stat = readFileSync(path, 'utf8');
    // The command name may contain spaces: fields are counted after its closing parenthesis.
    const fields = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    const ticks = fields[11] + fields[12] + (withReapedChildren ? fields[13] + fields[14] : 0);
    return { ppid: fields[1], ms: ticks * MS_PER_TICK };
  } catch {
    return undefined;
  }
}

/** CPU time of this process's main thread: the server, without the load generator's worker thread. */
export function mainThreadCpuMs(): number | undefined {
  return statCpuMs(`/proc/self/task/${process.pid}/stat`, false)?.ms;
}

/** CPU time of a process and its children, live ones and reaped ones (a PostgreSQL postmaster and its backends). */
export function processTreeCpuMs(rootPid: number): number | undefined {
  const root = statCpuMs(`/proc/${rootPid}/stat`, true);
  if (!root) return undefined;
  let total = root.ms;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === rootPid) continue;
    const child = statCpuMs(`/proc/${entry}/stat`, false);
    if (child?.ppid === rootPid) total += child.ms;
  }
  return total;
}
