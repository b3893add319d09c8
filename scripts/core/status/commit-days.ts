// Commits per day from an earlier `history.json`, so a run asks the forge only for the days since. Pure.
import type { History } from './snapshot-schema.ts';

/**
 * Commits per day before `day` (YYYY-MM-DD), as an earlier `history.json` counted them: each day
 * in full, each older week on its Monday (which `buildHistory` folds back into the same week).
 * A run then asks the forge only for the days since, so a busy repository's history is never
 * read again from the start.
 */
export function commitsBefore(history: History | undefined, day: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const bucket of [...(history?.weeks ?? []), ...(history?.days ?? [])]) {
    if (bucket.start < day && bucket.commits > 0) counts[bucket.start] = bucket.commits;
  }
  return counts;
}

/** `earlier` counts with `recent` ones added: the forge's counts of the days since. */
export function addCommitCounts(
  earlier: Readonly<Record<string, number>>,
  recent: Readonly<Record<string, number>>,
): Record<string, number> {
  const counts = { ...earlier };
  for (const [day, count] of Object.entries(recent)) counts[day] = (counts[day] ?? 0) + count;
  return counts;
}
