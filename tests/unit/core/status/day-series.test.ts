import { describe, expect, it } from 'vitest';
import { daysBefore, everyDay, MAX_SERIES_DAYS } from '../../../../scripts/core/status/day-series.ts';
import type { HistoryBucket } from '../../../../scripts/core/status/snapshot-schema.ts';

const bucket = (start: string, merged: number): HistoryBucket => ({
  start,
  merged,
  attempts: merged,
  prs_opened: merged,
  commits: 0,
  cost_usd: 0,
});

describe('everyDay', () => {
  it('gives every day of the window, with zeros where nothing happened', () => {
    const series = everyDay([bucket('2026-11-02', 3), bucket('2026-11-05', 1)], '2026-11-01', '2026-11-05');
    expect(series.map((day) => [day.start, day.merged])).toEqual([
      ['2026-11-01', 0],
      ['2026-11-02', 3],
      ['2026-11-03', 0],
      ['2026-11-04', 0],
      ['2026-11-05', 1],
    ]);
    expect(series[2]).toEqual({
      start: '2026-11-03',
      merged: 0,
      attempts: 0,
      prs_opened: 0,
      commits: 0,
      cost_usd: 0,
    });
  });

  it('leaves out days outside the window, and crosses months and leap days', () => {
    const series = everyDay([bucket('2028-02-27', 9), bucket('2028-03-01', 2)], '2028-02-28', '2028-03-01');
    expect(series.map((day) => [day.start, day.merged])).toEqual([
      ['2028-02-28', 0],
      ['2028-02-29', 0],
      ['2028-03-01', 2],
    ]);
  });

  it('gives nothing for a window that runs backwards or an end that is not a day', () => {
    expect(everyDay([], '2026-11-05', '2026-11-01')).toEqual([]);
    expect(everyDay([], 'garbage', '2026-11-01')).toEqual([]);
    expect(everyDay([], '2026-11-01', '2026-02-31')).toEqual([]);
    expect(everyDay([], '2026-11-01', '2026-11-01T00:00:00Z')).toEqual([]);
  });

  it('ignores buckets whose start is not a day of the window', () => {
    const series = everyDay([bucket('not a day', 5), bucket('<img>', 5)], '2026-11-01', '2026-11-02');
    expect(series.map((day) => day.merged)).toEqual([0, 0]);
  });

  it('bounds a window a damaged snapshot stretches over decades to its last days', () => {
    const series = everyDay([], '1970-01-01', '2026-11-05');
    expect(series).toHaveLength(MAX_SERIES_DAYS);
    expect(series.at(-1)!.start).toBe('2026-11-05');
  });
});

describe('daysBefore', () => {
  it('counts back whole days, and refuses what is not a day', () => {
    expect(daysBefore('2026-03-01', 29)).toBe('2026-01-31');
    expect(daysBefore('2026-11-05', 0)).toBe('2026-11-05');
    expect(daysBefore('yesterday', 1)).toBeNull();
  });
});
