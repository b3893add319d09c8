// How the Models page writes its figures: every one beside the count it stands on, never alone.
import { formatUsd } from '../../scripts/core/money.ts';
import type { CauseWeek, CountOf, MedianOf } from '../../scripts/core/status/snapshot-schema.ts';

/** A figure and, under it, the count it stands on. */
export interface Figure {
  value: string;
  count: string;
}

const NONE: Figure = { value: '—', count: 'none counted' };

/** A share with its count: `67 %` over `6 of 9`. */
export function share(figure: CountOf): Figure {
  if (figure.of === 0) return NONE;
  return {
    value: `${Math.round((figure.count / figure.of) * 100)} %`,
    count: `${figure.count} of ${figure.of}`,
  };
}

/** Minutes as the dashboard writes durations: minutes under 90, else hours, else days past 48 h. */
export function duration(minutes: number): string {
  if (minutes < 90) return `${Math.round(minutes)} min`;
  if (minutes < 48 * 60) return `${(minutes / 60).toFixed(1)} h`;
  return `${(minutes / 1440).toFixed(1)} d`;
}

/** A median over the values under it: `$0.25` over `4 merges`. */
export function medianFigure(
  figure: MedianOf,
  kind: 'usd' | 'minutes' | 'iterations',
  unit: [string, string],
): Figure {
  if (figure.median === null) return NONE;
  const value =
    kind === 'usd'
      ? formatUsd(figure.median)
      : kind === 'minutes'
        ? duration(figure.median)
        : String(figure.median);
  return { value, count: `${figure.of} ${figure.of === 1 ? unit[0] : unit[1]}` };
}

/**
 * The cause table's weeks, newest first, at most `weeks` of them, and the cause classes that
 * appear in them, in their classes' order.
 */
export function recentCauses(
  rows: readonly CauseWeek[],
  classes: readonly string[],
  weeks: number,
): { rows: CauseWeek[]; classes: string[] } {
  const kept = [...new Set(rows.map((row) => row.week))].sort().reverse().slice(0, weeks);
  const recent = rows.filter((row) => kept.includes(row.week));
  const seen = classes.filter((name) => recent.some((row) => (row.counts as Record<string, number>)[name]));
  return { rows: recent, classes: seen };
}
