/** The Models page's figures: per agent and model, how far its work on this repository can be trusted. Pure. */

import { median } from '../median.ts';
import type { EvalCase, EvalRun } from '../record/eval-record.ts';
import { type CauseClass, failureCause } from '../record/failure-cause.ts';
import { codedBy, totals } from '../record/record-ops.ts';
import type { RunRecord } from '../record/run-record.ts';
import type { CauseWeek, CountOf, MedianOf, ModelEval, ModelRow, Models, Revert } from './snapshot-schema.ts';

/** Below this many tasks (or eval cases) a figure is marked as a small sample. */
export const SMALL_SAMPLE = 10;

/** Causes that are the factory's or the forge's fault, never the agent's: left out of its merged rate. */
const NOT_THE_AGENTS: ReadonlySet<CauseClass> = new Set(['forge', 'internal']);

/**
 * The commits a commit message says it reverts: git's own line, `This reverts commit <sha>`, at
 * the start of a line (as `git revert` and GitHub's revert button write it).
 */
export function revertedIn(message: string): string[] {
  return [...message.matchAll(/^This reverts commit ([0-9a-f]{7,64})\b/gm)].map((match) => match[1]!);
}

/** Whether two commit ids name the same commit: equal, or one abbreviates the other. */
const sameCommit = (a: string, b: string): boolean => a.startsWith(b) || b.startsWith(a);

/**
 * Tasks whose merge was reverted on the default branch and still is: a revert that was itself
 * reverted gives the merge back. A commit that is itself a factory merge never counts as a
 * revert: its message is the factory's, built from a task's title, so no task can revert another
 * by its wording. Reverts of commits that are no factory merge are ignored.
 */
export function revertedTasks(records: Iterable<RunRecord>, reverts: readonly Revert[]): Set<string> {
  const merges = [...records].filter((record) => record.state === 'merged' && record.merge_commit);
  const isMerge = (commit: string) => merges.some((record) => sameCommit(record.merge_commit!, commit));
  const counted = reverts.filter((revert) => !isMerge(revert.commit));
  const standing = new Map<string, boolean>();
  // A revert stands unless a standing revert reverts it; `seen` stops a cycle forged into a file.
  const stands = (revert: Revert, seen: ReadonlySet<string>): boolean => {
    const known = standing.get(revert.commit);
    if (known !== undefined) return known;
    if (seen.has(revert.commit)) return false;
    const path = new Set([...seen, revert.commit]);
    const undone = counted.some((other) => sameCommit(other.reverted, revert.commit) && stands(other, path));
    standing.set(revert.commit, !undone);
    return !undone;
  };
  const reverted = new Set<string>();
  for (const record of merges) {
    const hit = counted.some(
      (revert) => sameCommit(revert.reverted, record.merge_commit!) && stands(revert, new Set()),
    );
    if (hit) reverted.add(record.task_id);
  }
  return reverted;
}

/** Whether the task's first check run (passed or failed) passed, on its first iteration; undefined when none ran. */
function firstTryGreen(record: RunRecord): boolean | undefined {
  const first = record.attempts.find(
    (attempt) => attempt.kind === 'checks' && (attempt.result === 'passed' || attempt.result === 'failed'),
  );
  if (!first) return undefined;
  // Only tasks with a proposal are counted (see `codedBy`), so there is a first one.
  const firstIteration = record.attempts.find((attempt) => attempt.kind === 'code')!.iteration;
  return first.result === 'passed' && first.iteration === firstIteration;
}

const round = (value: number, places: number): number => Math.round(value * 10 ** places) / 10 ** places;

const medianOf = (values: readonly number[], places: number): MedianOf => {
  const middle = median(values);
  return { median: middle === null ? null : round(middle, places), of: values.length };
};

/** The tally of one agent and model while the records are read. */
interface Tally {
  tasks: number;
  green: CountOf;
  merged: CountOf & { reverted: number };
  iterations: number[];
  costs: number[];
  minutes: number[];
}

function tallyOf(records: readonly RunRecord[], reverted: ReadonlySet<string>): Map<string, Tally> {
  const tallies = new Map<string, Tally>();
  for (const record of records) {
    const who = codedBy(record);
    if (!who) continue;
    const key = `${who.agent}\u0000${who.model}`;
    const tally = tallies.get(key) ?? {
      tasks: 0,
      green: { count: 0, of: 0 },
      merged: { count: 0, of: 0, reverted: 0 },
      iterations: [],
      costs: [],
      minutes: [],
    };
    tallies.set(key, tally);
    tally.tasks += 1;
    const green = firstTryGreen(record);
    if (green !== undefined) {
      tally.green.of += 1;
      if (green) tally.green.count += 1;
    }
    const cause = failureCause(record);
    const ended = record.state === 'merged' || record.state === 'failed' || record.state === 'rejected';
    if (!ended || (cause && NOT_THE_AGENTS.has(cause.class))) continue;
    tally.merged.of += 1;
    if (record.state !== 'merged') continue;
    if (reverted.has(record.task_id)) {
      tally.merged.reverted += 1;
      continue;
    }
    tally.merged.count += 1;
    tally.iterations.push(record.iteration);
    tally.costs.push(totals(record).cost_usd);
    if (record.merged_at) {
      tally.minutes.push((Date.parse(record.merged_at) - Date.parse(record.created_at)) / 60_000);
    }
  }
  return tallies;
}

/** The cases of a run, one per task (the last written wins), so a resumed run never counts one twice. */
function casesOf(run: EvalRun): EvalCase[] {
  return [...new Map(run.cases.map((entry) => [entry.task_id, entry])).values()];
}

/**
 * An eval run as the page shows it. Own checks count every case that had checks to run, and
 * every case without a usable answer (as not passed); hidden tests count the cases whose accepted
 * change brought tests.
 */
export function evalFigures(run: EvalRun): ModelEval {
  const cases = casesOf(run);
  const answered = (entry: EvalCase) => entry.status === 'done';
  const own = cases.filter((entry) => entry.own_checks !== 'none' || !answered(entry));
  const hidden = cases.filter((entry) => entry.hidden_test_files.length > 0);
  return {
    run_id: run.run_id,
    date: run.finished_at ?? run.started_at,
    finished: run.finished_at !== null,
    stopped_by_cap: run.stopped_by_cap,
    tasks: cases.length,
    own_checks: { count: own.filter((entry) => entry.own_checks === 'pass').length, of: own.length },
    hidden_tests: {
      count: hidden.filter((entry) => answered(entry) && entry.hidden_tests === 'pass').length,
      of: hidden.length,
    },
  };
}

/** The newest eval run per agent and model (by start, then id). */
function newestEvals(evals: readonly EvalRun[]): Map<string, EvalRun> {
  const newest = new Map<string, EvalRun>();
  for (const run of evals) {
    const key = `${run.agent}\u0000${run.model}`;
    const known = newest.get(key);
    const newer =
      !known ||
      run.started_at > known.started_at ||
      (run.started_at === known.started_at && run.run_id > known.run_id);
    if (newer) newest.set(key, run);
  }
  return newest;
}

/** Monday of the week of an ISO time, as YYYY-MM-DD (UTC). */
export function mondayOf(iso: string): string {
  const date = new Date(`${iso.slice(0, 10)}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() - ((date.getUTCDay() + 6) % 7));
  return date.toISOString().slice(0, 10);
}

/**
 * Tasks that ended failed, rejected or blocked, per week (the Monday of the week the record was
 * last updated, when it ended) and per agent and model, counted by cause class. A task no model
 * answered counts under its assignee and `(no model)`. Newest week first, then by agent and model.
 */
export function causesByWeek(records: Iterable<RunRecord>): CauseWeek[] {
  const weeks = new Map<string, CauseWeek>();
  for (const record of records) {
    const cause = failureCause(record);
    if (!cause) continue;
    const who = codedBy(record) ?? { agent: record.assignee, model: '(no model)' };
    const week = mondayOf(record.updated_at);
    const key = [week, who.agent, who.model].join('\u0000');
    const row = weeks.get(key) ?? { week, ...who, counts: {} };
    row.counts[cause.class] = (row.counts[cause.class] ?? 0) + 1;
    weeks.set(key, row);
  }
  return [...weeks.values()].sort(
    (a, b) =>
      b.week.localeCompare(a.week) ||
      a.agent.localeCompare(b.agent, 'en') ||
      a.model.localeCompare(b.model, 'en'),
  );
}

/**
 * `models.json`: one row per agent and model from the run records (a task counts under the agent
 * and model of its last proposal) and the newest eval of each (an agent and model known only
 * from an eval gets a row too), the causes of ended tasks by week, and the reverts seen on the
 * default branch. A merge that was reverted is counted apart, never as merged.
 */
export function buildModels(input: {
  records: readonly RunRecord[];
  evals: readonly EvalRun[];
  reverts: readonly Revert[];
}): Models {
  const reverted = revertedTasks(input.records, input.reverts);
  const tallies = tallyOf(input.records, reverted);
  const evals = newestEvals(input.evals);
  const keys = [...new Set([...tallies.keys(), ...evals.keys()])];
  const rows = keys.map((key): ModelRow => {
    const [agent, model] = key.split('\u0000') as [string, string];
    const tally = tallies.get(key);
    const run = evals.get(key);
    return {
      agent,
      model,
      tasks: tally?.tasks ?? 0,
      small_sample: (tally?.tasks ?? 0) < SMALL_SAMPLE,
      first_try_green: tally?.green ?? { count: 0, of: 0 },
      iterations_to_merge: medianOf(tally?.iterations ?? [], 1),
      merged: tally?.merged ?? { count: 0, of: 0, reverted: 0 },
      cost_per_merged_usd: medianOf(tally?.costs ?? [], 6),
      minutes_to_merge: medianOf(tally?.minutes ?? [], 1),
      eval: run ? evalFigures(run) : null,
    };
  });
  rows.sort((a, b) => a.agent.localeCompare(b.agent, 'en') || a.model.localeCompare(b.model, 'en'));
  const reverts = [
    ...new Map(input.reverts.map((revert) => [`${revert.commit} ${revert.reverted}`, revert])).values(),
  ];
  reverts.sort((a, b) => a.day.localeCompare(b.day) || a.commit.localeCompare(b.commit));
  return { version: 1, rows, causes: causesByWeek(input.records), reverts };
}
