import { formatCount, formatRatio, renderTable } from '../report';

interface Cell {
  figure: string;
  /** What the ratio to the baseline step compares (lower is better for times, sizes). */
  value?: number;
}

/** The table: one row per measure, one column per tenant count, each cell with its ratio to the first. */
export class ScaleTable {
  private readonly rows = new Map<string, Map<number, Cell>>();

  set(measure: string, step: number, figure: string, value?: number): void {
    if (!this.rows.has(measure)) this.rows.set(measure, new Map());
    this.rows.get(measure)!.set(step, { figure, value });
  }

  render(steps: number[]): string {
    const body = [...this.rows].map(([measure, cells]) => {
      const baseline = steps.map((s) => cells.get(s)?.value).find((v) => v !== undefined && v > 0);
      return [
        measure,
        ...steps.map((step) => {
          const cell = cells.get(step);
          if (!cell) return '';
          const ratio =
            baseline && cell.value !== undefined && step !== steps[0] ? ` (${formatRatio(cell.value / baseline)})` : '';
          return `${cell.figure}${ratio}`;
        }),
      ];
    });
    return renderTable(['measure (ratio: the figure named first, to the first step)', ...steps.map(formatCount)], body);
  }
}
