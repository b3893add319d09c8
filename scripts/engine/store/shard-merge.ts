// Folds the shards of a matrix run into shared/: each worker's run records and the spend it added per day.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BUDGET_FILE_NAME, type Day, dayFile, parseDayFile } from '../../agents/budget/file.ts';
import { BUDGET_DIR } from '../../agents/budget/ledger.ts';
import { mergeDays } from '../../agents/budget/merge.ts';
import type { RunRecord } from '../../core/record/run-record.ts';
import { stableStringify } from '../../core/stable-json.ts';
import { writeJsonAtomically } from '../../io/atomic-write.ts';
import { parseRecord, RunStore } from './run-store.ts';

/**
 * Inside one shard's folder (a worker's artifact): its `shared/runs/` as `runs/` and its
 * `shared/budget/` as `budget/`, as actions/upload-artifact stores the two folders.
 */
const SHARD_RUNS = 'runs';
const SHARD_BUDGET = 'budget';

/** What folding the shards did. */
export interface ShardFold {
  /** The shard folders read, in order. */
  shards: string[];
  /** Task ids whose record a shard changed, now in shared/runs/. */
  records: string[];
  /** Budget days rewritten from the shards' spend. */
  days: string[];
  /** Files skipped (damaged, or one task changed by two shards), each a sentence naming the file. */
  warnings: string[];
}

async function jsonFiles(dir: string, pattern: RegExp): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((name) => pattern.test(name)).sort();
}

/** The shard folders under `dir`: each sub-folder holding `runs/` or `budget/`, by name. */
export async function shardFolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const entry of entries
    .filter((item) => item.isDirectory())
    .sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const inside = await readdir(join(dir, entry.name)).catch(() => [] as string[]);
    if (inside.includes(SHARD_RUNS) || inside.includes(SHARD_BUDGET)) found.push(join(dir, entry.name));
  }
  return found;
}

/**
 * Folds the shards' run records and spend into `root`'s shared/ (its checkout of the default
 * branch, the commit every shard started from):
 * - a record a shard changed replaces the one in shared/runs/; shards work on disjoint
 *   dependency chains, so two shards changing one record is a fault: the newer is kept, with a
 *   warning;
 * - each budget day is the day as it was plus what every shard added to it.
 * Every file read from a shard is validated like the factory's own; a damaged one is skipped with
 * a warning naming it.
 */
export async function foldShards(root: string, shards: readonly string[]): Promise<ShardFold> {
  const store = new RunStore(root);
  const { records: base } = await store.readAll();
  const warnings: string[] = [];
  const changed = new Map<string, { record: RunRecord; shard: string }>();
  const days = new Map<string, Day[]>();
  for (const shard of shards) {
    const runs = join(shard, SHARD_RUNS);
    for (const name of await jsonFiles(runs, /\.json$/)) {
      const parsed = parseRecord(name, await readFile(join(runs, name), 'utf8'));
      if (!parsed.ok) {
        warnings.push(`${join(runs, name)} is skipped: ${parsed.problem}`);
        continue;
      }
      const { record } = parsed;
      const before = base.get(record.task_id);
      if (before && stableStringify(before) === stableStringify(record)) continue;
      const other = changed.get(record.task_id);
      if (other && stableStringify(other.record) !== stableStringify(record)) {
        const newer = Date.parse(record.updated_at) > Date.parse(other.record.updated_at);
        warnings.push(
          `task ${record.task_id} was changed by two shards (${other.shard} and ${shard}); the ${newer ? 'second' : 'first'}'s record, updated last, is kept`,
        );
        if (!newer) continue;
      }
      changed.set(record.task_id, { record, shard });
    }
    const budget = join(shard, SHARD_BUDGET);
    for (const name of await jsonFiles(budget, BUDGET_FILE_NAME)) {
      const read = parseDayFile(name, await readFile(join(budget, name), 'utf8'));
      if ('problem' in read) {
        warnings.push(
          `${join(budget, name)} is skipped: ${read.problem}; that shard's spend that day is not counted`,
        );
        continue;
      }
      days.set(read.day.day, [...(days.get(read.day.day) ?? []), read.day]);
    }
  }
  for (const { record } of changed.values()) await store.write(record);
  for (const [day, spent] of days) {
    const name = `${day}.json`;
    const text = await readFile(join(root, BUDGET_DIR, name), 'utf8').catch(() => undefined);
    const read = text === undefined ? undefined : parseDayFile(name, text);
    const before = read && 'day' in read ? read.day : undefined;
    await writeJsonAtomically(join(root, BUDGET_DIR, name), dayFile(mergeDays(day, before, spent)));
  }
  return {
    shards: [...shards],
    records: [...changed.keys()].sort(),
    days: [...days.keys()].sort(),
    warnings,
  };
}
