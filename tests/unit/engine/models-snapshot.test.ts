import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalRun } from '../../../scripts/core/record/eval-record.ts';
import type { RunRecord } from '../../../scripts/core/record/run-record.ts';
import { type Models, ModelsSchema } from '../../../scripts/core/status/snapshot-schema.ts';
import { writeSnapshots } from '../../../scripts/engine/report/snapshot-writer.ts';
import { runFactory } from '../../../scripts/engine/run/factory.ts';
import { createSandboxRepo, git, simpleStory } from '../../fixtures/sandbox-repo.ts';
import { silentProgress } from '../../fixtures/silent-progress.ts';

let root: string;
let merges: Map<string, string>;

const models = async (): Promise<Models> =>
  ModelsSchema.parse(JSON.parse(await readFile(join(root, 'shared/status/models.json'), 'utf8')));
const row = async () => (await models()).rows.find((entry) => entry.agent === 'gpt')!;

beforeAll(async () => {
  let replayDir: string;
  ({ root, replayDir } = await createSandboxRepo([simpleStory('one'), simpleStory('two')]));
  const summary = await runFactory(root, { forge: 'local', replayDir }, silentProgress);
  summary.forge.close?.();
  merges = new Map(
    [...summary.records.values()].map((record: RunRecord) => [record.task_id, record.merge_commit!]),
  );
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('models.json from a repository', () => {
  it('counts a factory merge that a person reverted on the default branch apart, and a reverted revert as merged', async () => {
    expect([...merges.keys()].sort()).toEqual(['one', 'two']);
    await writeSnapshots(root);
    expect((await row()).merged).toEqual({ count: 2, of: 2, reverted: 0 });

    git(root, 'revert', '--no-edit', '-m', '1', merges.get('one')!);
    const revert = git(root, 'rev-parse', 'HEAD').trim();
    await writeSnapshots(root);
    expect((await row()).merged).toEqual({ count: 1, of: 2, reverted: 1 });
    expect((await models()).reverts).toEqual([
      { commit: revert, reverted: merges.get('one')!, day: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) },
    ]);

    git(root, 'revert', '--no-edit', revert);
    await writeSnapshots(root);
    expect((await row()).merged).toEqual({ count: 2, of: 2, reverted: 0 });
    expect((await models()).reverts).toHaveLength(2);
  });

  it('keeps the reverts it found before, and adds those a forge reports', async () => {
    const reported = { commit: 'c'.repeat(40), reverted: merges.get('two')!, day: '2026-12-09' };
    await writeSnapshots(root, { reverts: [reported] });
    const after = await models();
    expect(after.reverts).toHaveLength(3);
    expect(after.reverts).toContainEqual(reported);
    expect((await row()).merged).toEqual({ count: 1, of: 2, reverted: 1 });
  });

  it('shows the newest eval of an agent and model, and skips damaged eval files by name', async () => {
    const run: EvalRun = {
      version: 1,
      run_id: '20261207T101500Z-a1b2',
      agent: 'gpt',
      model: 'openai:gpt-5',
      started_at: '2026-12-07T10:15:00Z',
      finished_at: '2026-12-07T10:20:00Z',
      task_ids: [],
      cases: [],
      stopped_by_cap: false,
    };
    const dir = join(root, 'shared/evals');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `${run.run_id}.json`), JSON.stringify(run));
    await writeFile(join(dir, '20261208T101500Z-zzzz.json'), JSON.stringify(run));
    await writeFile(join(dir, '20261209T101500Z-bad1.json'), '{"version": 1,');
    await writeFile(
      join(dir, '20261209T101500Z-bad2.json'),
      JSON.stringify({ ...run, run_id: '20261209T101500Z-bad2', stopped_by_cap: 'no' }),
    );
    await writeFile(join(dir, 'notes.txt'), 'not an eval');
    await writeFile(join(dir, '20261210T101500Z-huge.json'), ' '.repeat(8 * 1024 * 1024 + 1));
    await mkdir(join(dir, '20261211T101500Z-adir.json'));
    const { problems } = await writeSnapshots(root);
    expect(problems).toEqual([
      'shared/evals/20261208T101500Z-zzzz.json: holds eval run "20261207T101500Z-a1b2", not its file\'s name; skipped',
      expect.stringMatching(/^shared\/evals\/20261209T101500Z-bad1\.json: not JSON \(.*\); skipped$/),
      expect.stringMatching(
        /^shared\/evals\/20261209T101500Z-bad2\.json: field "stopped_by_cap": .*; skipped$/,
      ),
      'shared/evals/20261210T101500Z-huge.json: larger than 8388608 bytes; skipped',
      'shared/evals/20261211T101500Z-adir.json: cannot be read; skipped',
    ]);
    const evaluated = (await models()).rows.find((entry) => entry.model === 'openai:gpt-5');
    expect(evaluated).toMatchObject({ agent: 'gpt', tasks: 0, eval: { run_id: run.run_id, tasks: 0 } });
  });
});
