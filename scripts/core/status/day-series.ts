/** Every day of a window of history, zeros where nothing happened, for charts read on a time axis. */
import type { HistoryBucket } from './snapshot-schema.ts';

const DAY_MS = 86_400_000;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The longest series a chart is given, whatever a damaged snapshot says: a little over a year. */
export const MAX_SERIES_DAYS = 400;

/** Milliseconds of a day (YYYY-MM-DD) at 00:00 UTC, or NaN when it is not a real calendar day. */
function dayMs(day: string): number {
  if (!DAY.test(day)) return Number.NaN;
  const ms = Date.parse(`${day}T00:00:00Z`);
  return new Date(ms).toISOString().slice(0, 10) === day ? ms : Number.NaN;
}

/** The day (YYYY-MM-DD) `count` days before `day`; null when `day` is not a day. */
export function daysBefore(day: string, count: number): string | null {
  const ms = dayMs(day);
  return Number.isNaN(ms) ? null : new Date(ms - count * DAY_MS).toISOString().slice(0, 10);
}

/**
 * One bucket per day from `from` to `to` (YYYY-MM-DD, both included): the bucket of `days` for
 * that day where there is one, else a day of zeros. A bar chart of the result spaces days evenly,
 * so a quiet week shows as a gap instead of vanishing. Empty when either end is not a day or the
 * window runs backwards; at most the last MAX_SERIES_DAYS days of a longer window.
 */
export function everyDay(days: readonly HistoryBucket[], from: string, to: string): HistoryBucket[] {
  const end = dayMs(to);
  const start = Math.max(dayMs(from), end - (MAX_SERIES_DAYS - 1) * DAY_MS);
  if (Number.isNaN(start) || start > end) return [];
  const known = new Map(days.map((bucket) => [bucket.start, bucket]));
  const series: HistoryBucket[] = [];
  for (let ms = start; ms <= end; ms += DAY_MS) {
    const day = new Date(ms).toISOString().slice(0, 10);
    series.push(
      known.get(day) ?? { start: day, merged: 0, attempts: 0, prs_opened: 0, commits: 0, cost_usd: 0 },
    );
  }
  return series;
}
