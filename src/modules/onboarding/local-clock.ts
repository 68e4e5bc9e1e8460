const formatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar day (days since 1970-01-01) and hour (0–23) that clocks in `timeZone` show at `instant`. */
export function localClock(instant: Date, timeZone: string): { day: number; hour: number } {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  const parts = formatter.formatToParts(instant);
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)!.value);
  return { day: Date.UTC(part('year'), part('month') - 1, part('day')) / 86_400_000, hour: part('hour') };
}
