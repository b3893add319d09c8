// One day of spend after a sharded run: the day as the shards found it, plus what each of them added.
import { type Day, emptyDay } from './file.ts';

const round = (usd: number): number => Math.round(usd * 1e6) / 1e6;

/** What a shard added to one table: never less than nothing. */
function grown(base: ReadonlyMap<string, number>, shard: ReadonlyMap<string, number>): Map<string, number> {
  const added = new Map<string, number>();
  for (const [key, amount] of shard) {
    const more = round(amount - (base.get(key) ?? 0));
    if (more > 0) added.set(key, more);
  }
  return added;
}

/**
 * One day of spend after the shards of a run: the day as it was when they started (`base`), plus
 * what each shard added to it. Every shard started from the same `base` and spent only on its
 * own tasks, so their additions never overlap and add up.
 */
export function mergeDays(day: string, base: Day | undefined, shards: readonly Day[]): Day {
  const start = base ?? emptyDay(day);
  const merged: Day = {
    day,
    total: start.total,
    calls: start.calls,
    byAgent: new Map(start.byAgent),
    byTask: new Map(start.byTask),
    byModel: new Map(start.byModel),
  };
  for (const shard of shards) {
    merged.calls += Math.max(0, shard.calls - start.calls);
    for (const table of ['byAgent', 'byTask', 'byModel'] as const) {
      for (const [key, more] of grown(start[table], shard[table])) {
        merged[table].set(key, round((merged[table].get(key) ?? 0) + more));
        if (table === 'byTask') merged.total = round(merged.total + more);
      }
    }
  }
  return merged;
}
