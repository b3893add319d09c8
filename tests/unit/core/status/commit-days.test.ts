import { describe, expect, it } from 'vitest';
import { addCommitCounts, commitsBefore } from '../../../../scripts/core/status/commit-days.ts';
import { buildHistory } from '../../../../scripts/core/status/snapshot.ts';

describe('commit counts carried between runs', () => {
  it('keeps the days before the cut from an earlier history, weeks on their Monday', () => {
    const counts = { '2026-06-02': 3, '2026-06-04': 2, '2026-11-30': 5, '2026-12-01': 4, '2026-12-02': 1 };
    const history = buildHistory([], counts, '2026-12-02T12:00:00Z');
    const before = commitsBefore(history, '2026-12-01');
    expect(before).toEqual({ '2026-06-01': 5, '2026-11-30': 5 });
    // Folded again with the forge's recount of the days since, the history is the same.
    const again = addCommitCounts(before, { '2026-12-01': 4, '2026-12-02': 1 });
    expect(buildHistory([], again, '2026-12-02T12:00:00Z')).toEqual(history);
  });

  it('starts empty without an earlier history, and adds counts of the same day', () => {
    expect(commitsBefore(undefined, '2026-12-01')).toEqual({});
    expect(addCommitCounts({ '2026-12-01': 2 }, { '2026-12-01': 1, '2026-12-02': 1 })).toEqual({
      '2026-12-01': 3,
      '2026-12-02': 1,
    });
  });
});
