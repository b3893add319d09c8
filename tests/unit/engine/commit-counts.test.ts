import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FactoryError } from '../../../scripts/core/errors.ts';
import { buildHistory } from '../../../scripts/core/status/snapshot.ts';
import {
  commitsThroughForge,
  forgeSnapshotInputs,
  STATE_COMMIT_SUBJECT,
} from '../../../scripts/engine/report/snapshot-writer.ts';
import type { Forge, ForgeReports } from '../../../scripts/forge/types.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'aifactory-commits-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const now = new Date('2026-12-03T08:00:00Z');
const forgeWith = (landedCommits?: ForgeReports['landedCommits']): Pick<Forge, 'reports'> =>
  landedCommits ? { reports: { landedCommits, ciRuns: async () => ({ runs: [] }) } } : {};
const landed = (counts: Record<string, number>) =>
  Object.entries(counts).flatMap(([day, count]) =>
    Array.from({ length: count }, (_, i) => ({ day, subject: `Merge task ${i}` })),
  );

async function snapshotOf(generatedAt: string, counts: Record<string, number>): Promise<void> {
  const dir = join(root, 'shared/status');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'history.json'), JSON.stringify(buildHistory([], counts, generatedAt)));
  await writeFile(join(dir, 'summary.json'), JSON.stringify({ generated_at: generatedAt }));
}

describe('commit counts through the forge', () => {
  it('asks only for the days since the last snapshot, recounting that day, and keeps the rest', async () => {
    await snapshotOf('2026-12-02T10:00:00Z', { '2026-12-01': 3, '2026-12-02': 2 });
    const asked: string[] = [];
    const counts = await commitsThroughForge(
      root,
      forgeWith(async (since) => {
        asked.push(since);
        // The state commit of the last run is no landed work.
        return [
          ...landed({ '2026-12-02': 4, '2026-12-03': 1 }),
          { day: '2026-12-02', subject: `${STATE_COMMIT_SUBJECT} 7` },
          // A hostile reply's dates: nothing the history could place is counted.
          { day: 'garbage', subject: 'Merge x' },
          { day: '', subject: 'Merge y' },
        ];
      }),
      now,
    );
    expect(asked).toEqual(['2026-12-02T00:00:00Z']);
    expect(counts).toEqual({ '2026-12-01': 3, '2026-12-02': 4, '2026-12-03': 1 });
  });

  it('reads the last 90 days when there is no earlier snapshot', async () => {
    const asked: string[] = [];
    await commitsThroughForge(
      root,
      forgeWith(async (since) => {
        asked.push(since);
        return [];
      }),
      now,
    );
    expect(asked).toEqual(['2026-09-04T00:00:00Z']);
  });

  it('keeps the last counts, and says so, when the forge cannot answer; a forge without a history gives none', async () => {
    await snapshotOf('2026-12-02T10:00:00Z', { '2026-12-01': 3, '2026-12-02': 2 });
    const warnings: string[] = [];
    const counts = await commitsThroughForge(
      root,
      forgeWith(async () => {
        throw new FactoryError('server', 'GitHub answered 502');
      }),
      now,
      (message) => warnings.push(message),
    );
    expect(counts).toEqual({ '2026-12-01': 3, '2026-12-02': 2 });
    expect(warnings).toEqual(['the commit counts keep their last values: GitHub answered 502']);
    expect(await commitsThroughForge(root, forgeWith(), now)).toBeUndefined();
  });

  it('takes the reverts among the same commits, dropping ids a hostile reply made up', async () => {
    const good = { commit: 'a'.repeat(40), reverted: 'b'.repeat(40), day: '2026-12-02' };
    const inputs = await forgeSnapshotInputs(
      root,
      forgeWith(async () => [
        { day: '2026-12-02', subject: 'Revert x', sha: good.commit, reverts: [good.reverted, '../etc'] },
        { day: '2026-12-02', subject: 'Revert y', sha: 'not a sha', reverts: ['c'.repeat(40)] },
        { day: '2026-12-02', subject: 'Merge task z' },
        {
          day: '2026-12-02',
          subject: `${STATE_COMMIT_SUBJECT} 8`,
          sha: 'd'.repeat(40),
          reverts: ['e'.repeat(40)],
        },
      ]),
      now,
      () => undefined,
    );
    expect(inputs.reverts).toEqual([good]);
  });
});
