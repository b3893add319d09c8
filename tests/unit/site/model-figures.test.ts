// How the Models page writes a figure: always beside the count it stands on.
import { describe, expect, it } from 'vitest';
import { duration, medianFigure, recentCauses, share } from '../../../site/lib/model-figures.ts';

describe('the Models page figures', () => {
  it('writes a share with its count, and says when nothing was counted', () => {
    expect(share({ count: 2, of: 3 })).toEqual({ value: '67 %', count: '2 of 3' });
    expect(share({ count: 0, of: 12 })).toEqual({ value: '0 %', count: '0 of 12' });
    expect(share({ count: 0, of: 0 })).toEqual({ value: '—', count: 'none counted' });
  });

  it('writes a median with the number of values under it, in its unit', () => {
    const merges: [string, string] = ['merge', 'merges'];
    expect(medianFigure({ median: 0.25, of: 4 }, 'usd', merges)).toEqual({
      value: '$0.25',
      count: '4 merges',
    });
    expect(medianFigure({ median: 1.5, of: 1 }, 'iterations', merges)).toEqual({
      value: '1.5',
      count: '1 merge',
    });
    expect(medianFigure({ median: 95, of: 2 }, 'minutes', merges).value).toBe('1.6 h');
    expect(medianFigure({ median: null, of: 0 }, 'usd', merges)).toEqual({
      value: '—',
      count: 'none counted',
    });
    expect([duration(12.4), duration(3000), duration(4320)]).toEqual(['12 min', '2.1 d', '3.0 d']);
  });

  it('keeps the newest weeks of causes, and only the classes they hold, in class order', () => {
    const row = (week: string, counts: Record<string, number>) => ({
      week,
      agent: 'gpt',
      model: 'm',
      counts,
    });
    const rows = [
      row('2026-11-30', { review: 1 }),
      row('2026-11-23', { protocol: 2 }),
      row('2026-11-16', { budget: 1 }),
    ];
    const recent = recentCauses(rows, ['protocol', 'review', 'checks', 'budget'], 2);
    expect(recent.rows.map((entry) => entry.week)).toEqual(['2026-11-30', '2026-11-23']);
    expect(recent.classes).toEqual(['protocol', 'review']);
  });
});
