import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HistorySchema, SummarySchema } from '../../../scripts/core/status/snapshot-schema.ts';
import { FACTORY_WORKFLOW, writeSnapshots } from '../../../scripts/engine/report/snapshot-writer.ts';
import { sampleData } from '../../fixtures/sample-data.ts';
import { createSandboxRepo, git, simpleStory } from '../../fixtures/sandbox-repo.ts';
import { commitAll } from '../../fixtures/temp-repo.ts';

let root: string | undefined;
afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

const summaryOf = async (dir: string) =>
  SummarySchema.parse(JSON.parse(await readFile(join(dir, 'shared/status/summary.json'), 'utf8')));

describe('writeSnapshots', () => {
  it('takes the schedule interval from the factory workflow cron, else from watch_interval_seconds', async () => {
    ({ root } = await createSandboxRepo([simpleStory('alpha')]));
    await writeSnapshots(root);
    expect((await summaryOf(root)).schedule_interval_seconds).toBe(60);
    await mkdir(join(root, '.github/workflows'), { recursive: true });
    await writeFile(join(root, FACTORY_WORKFLOW), "on:\n  schedule:\n    - cron: '*/30 * * * *'\n");
    await writeSnapshots(root);
    expect((await summaryOf(root)).schedule_interval_seconds).toBe(1800);
    await writeFile(join(root, FACTORY_WORKFLOW), 'on: [\n');
    await writeSnapshots(root);
    expect((await summaryOf(root)).schedule_interval_seconds).toBe(60);
  });

  it('reports a damaged budget day of the last run, and counts no spend from it', async () => {
    ({ root } = await createSandboxRepo([simpleStory('alpha')]));
    const run = {
      version: 1,
      trigger: 'local',
      replay: false,
      started_at: '2026-12-02T10:00:00.000Z',
      finished_at: '2026-12-02T10:01:00.000Z',
      last_scheduled_at: null,
      agents: [],
    };
    await mkdir(join(root, 'shared/status'), { recursive: true });
    await mkdir(join(root, 'shared/budget'), { recursive: true });
    await writeFile(join(root, 'shared/status/run.json'), JSON.stringify(run));
    await writeFile(join(root, 'shared/budget/2026-12-02.json'), '{}');
    const result = await writeSnapshots(root);
    expect(result.problems).toEqual([expect.stringContaining('shared/budget/2026-12-02.json: field')]);
    const status = JSON.parse(await readFile(join(root, 'shared/status/agent-status.json'), 'utf8'));
    expect(status).toMatchObject({ day: '2026-12-02', spent_today_usd: 0 });
  });

  it('writes nothing the second time, and removes the detail file of a task that is gone', async () => {
    ({ root } = await createSandboxRepo([simpleStory('alpha'), simpleStory('beta')]));
    const first = await writeSnapshots(root);
    expect(first.written).toEqual(
      expect.arrayContaining(['summary.json', 'tasks/alpha.json', 'tasks/beta.json']),
    );
    const detail = join(root, 'shared/status/tasks/alpha.json');
    const before = (await stat(detail)).mtimeMs;
    const second = await writeSnapshots(root);
    expect(second).toMatchObject({ written: [], removed: [] });
    expect(second.unchanged.sort()).toEqual([...first.written].sort());
    expect((await stat(detail)).mtimeMs).toBe(before);
    await rm(join(root, 'tasks/beta.json'));
    const third = await writeSnapshots(root);
    expect(third.removed).toEqual(['tasks/beta.json']);
    expect(third.written).not.toContain('tasks/alpha.json');
  });

  it('counts each merge this clone does not hold on the day it was recorded, and a held one once', async () => {
    root = await mkdtemp(join(tmpdir(), 'aifactory-snapshot-'));
    const { tasks, records } = sampleData(12);
    await mkdir(join(root, 'tasks'), { recursive: true });
    await mkdir(join(root, 'shared/runs'), { recursive: true });
    for (const task of tasks)
      await writeFile(join(root, 'tasks', `${task.task_id}.json`), JSON.stringify(task));
    commitAll(root, 'tasks');
    // The sample's merges share one commit id this clone lacks; one is given the clone's own commit.
    const merged = records.filter((record) => record.merge_commit && record.merged_at);
    expect(merged.length).toBeGreaterThan(2);
    merged[0]!.merge_commit = git(root, 'rev-parse', 'HEAD');
    for (const record of records)
      await writeFile(join(root, 'shared/runs', `${record.task_id}.json`), JSON.stringify(record));
    await writeSnapshots(root);
    const history = HistorySchema.parse(
      JSON.parse(await readFile(join(root, 'shared/status/history.json'), 'utf8')),
    );
    const commits = [...history.days, ...history.weeks].reduce((sum, bucket) => sum + bucket.commits, 0);
    expect(commits).toBe(1 + merged.length - 1);
  });
});
