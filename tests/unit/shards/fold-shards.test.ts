import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RunRecordSchema } from '../../../scripts/core/record/run-record.ts';
import { stableStringify } from '../../../scripts/core/stable-json.ts';
import { foldShards, shardFolders } from '../../../scripts/engine/store/shard-merge.ts';
import { sampleData } from '../../fixtures/sample-data.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function put(path: string, content: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
}

const [a, b, c] = sampleData(3).records.map((record) => RunRecordSchema.parse(record));
const day = (total: number, byTask: Record<string, number>, calls: number) =>
  stableStringify({
    version: 1,
    day: '2026-11-25',
    total_usd: total,
    calls,
    by_agent: { gpt: total },
    by_task: byTask,
    by_model: { 'openai:gpt-5-mini': total },
  });

describe('merge-shards folding', () => {
  it("takes each record a shard changed, adds each shard's spend, and skips what fails validation, naming it", async () => {
    const root = await mkdtemp(join(tmpdir(), 'aifactory-fold-'));
    dirs.push(root);
    const results = join(root, 'shard-results');
    // The checkout: a's record and a day with $1 spent on a.
    await put(join(root, 'shared/runs', `${a!.task_id}.json`), stableStringify(a));
    await put(join(root, 'shared/budget/2026-11-25.json'), day(1, { [a!.task_id]: 1 }, 2));
    // Shard 1 changed b and spent $0.5 on it; it also holds a, unchanged.
    await put(join(results, 'shard-0/runs', `${a!.task_id}.json`), stableStringify(a));
    await put(join(results, 'shard-0/runs', `${b!.task_id}.json`), stableStringify(b));
    await put(
      join(results, 'shard-0/budget/2026-11-25.json'),
      day(1.5, { [a!.task_id]: 1, [b!.task_id]: 0.5 }, 3),
    );
    // Shard 2 changed c, spent $0.25 on it, and holds a damaged record and a forged budget file.
    await put(join(results, 'shard-1/runs', `${c!.task_id}.json`), stableStringify(c));
    await put(join(results, 'shard-1/runs/broken.json'), '{"version": 1');
    await put(
      join(results, 'shard-1/budget/2026-11-25.json'),
      day(1.25, { [a!.task_id]: 1, [c!.task_id]: 0.25 }, 3),
    );
    await put(join(results, 'shard-1/budget/2026-11-26.json'), day(5, { x: 1 }, 1));
    // Not a shard: no runs/ or budget/ inside.
    await mkdir(join(results, 'stray'), { recursive: true });

    const shards = await shardFolders(results);
    expect(shards.map((dir) => dir.slice(results.length + 1))).toEqual(['shard-0', 'shard-1']);
    const fold = await foldShards(root, shards);
    expect(fold.records).toEqual([b!.task_id, c!.task_id].sort());
    expect(fold.days).toEqual(['2026-11-25']);
    expect(fold.warnings).toHaveLength(2);
    expect(fold.warnings[0]).toMatch(/shard-1\/runs\/broken\.json is skipped: .*not valid JSON/);
    expect(fold.warnings[1]).toMatch(
      /shard-1\/budget\/2026-11-26\.json is skipped: its day "2026-11-25" is not its file name/,
    );
    expect(JSON.parse(await readFile(join(root, 'shared/runs', `${c!.task_id}.json`), 'utf8'))).toEqual(
      JSON.parse(stableStringify(c)),
    );
    const merged = JSON.parse(await readFile(join(root, 'shared/budget/2026-11-25.json'), 'utf8'));
    expect(merged).toMatchObject({ total_usd: 1.75, calls: 4 });
    expect(merged.by_task).toEqual({ [a!.task_id]: 1, [b!.task_id]: 0.5, [c!.task_id]: 0.25 });
  });

  it('keeps the newer record when two shards changed one task, and says so', async () => {
    const root = await mkdtemp(join(tmpdir(), 'aifactory-fold-'));
    dirs.push(root);
    const older = { ...a!, updated_at: '2026-11-25T10:00:00.000Z' };
    const newer = { ...a!, updated_at: '2026-11-25T11:00:00.000Z', title: 'newer' };
    await put(join(root, 'r/s1/runs', `${a!.task_id}.json`), stableStringify(newer));
    await put(join(root, 'r/s2/runs', `${a!.task_id}.json`), stableStringify(older));
    const fold = await foldShards(root, await shardFolders(join(root, 'r')));
    expect(fold.warnings).toEqual([
      `task ${a!.task_id} was changed by two shards (${join(root, 'r/s1')} and ${join(root, 'r/s2')}); the first's record, updated last, is kept`,
    ]);
    expect(JSON.parse(await readFile(join(root, 'shared/runs', `${a!.task_id}.json`), 'utf8')).title).toBe(
      'newer',
    );
    expect(await shardFolders(join(root, 'missing'))).toEqual([]);
  });
});
