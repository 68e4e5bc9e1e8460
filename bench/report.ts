/** One line of the final summary table. */
export interface SummaryRow {
  section: string;
  measurement: string;
  figure: string;
  /** Ratio or comparison with the baseline measured in the same run. */
  comparison?: string;
}

/** A goal from the issue, checked against this run's figure. */
export interface TargetCheck {
  name: string;
  figure: string;
  goal: string;
  met: boolean;
}

export interface SectionResult {
  rows: SummaryRow[];
  targets: TargetCheck[];
  /** Observations worth printing after the table (e.g. where the time goes). */
  notes?: string[];
}

export const formatMs = (value: number): string =>
  value >= 1000 ? `${(value / 1000).toFixed(2)} s` : value >= 10 ? `${value.toFixed(1)} ms` : `${value.toFixed(2)} ms`;

export const formatRatio = (value: number): string => `${value.toFixed(2)}×`;

export const formatCount = (value: number): string => Math.round(value).toLocaleString('en-US');

/** Nearest-rank percentile (p in 0..100) of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (!samples.length) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

/** Left-aligned text columns, right-aligned columns whose cells all look numeric. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map(
    (_, i) => rows.length > 0 && rows.every((r) => !r[i] || /^[\d.,×<>≥ -]+( ?(ms|s|req\/s|%))?$/.test(r[i])),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [
    line(headers),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map((r) => line(r.map((c) => c ?? ''))),
  ].join('\n');
}

/** Prints "label n/total (elapsed)" every 10 % (at least 50 items apart), so long preparations show they are moving. */
export function progressPrinter(label: string, total: number, print: (line: string) => void): (done: number) => void {
  const started = performance.now();
  const step = Math.max(50, Math.ceil(total / 10));
  return (done) => {
    if (done % step === 0 || done === total) {
      print(`  ${label} ${done}/${total} (${formatMs(performance.now() - started)})`);
    }
  };
}
