/** What an eval run replays and how it reads what git says: task selection, test paths, run ids, model refs. Pure. */
import { type ModelRef, PROVIDER_IDS, type ProviderId } from '../config.ts';
import type { EvalRun } from './eval-record.ts';
import type { RunRecord } from './run-record.ts';

const DAY_MS = 86_400_000;
const UNIT_MS = { h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS } as const;

/**
 * `--since`: a span such as `30d`, `12h` or `2w`, in milliseconds; a sentence saying what is
 * expected when it is not one.
 */
export function parseSpan(text: string): { ms: number } | { problem: string } {
  const match = /^(\d{1,5})([hdw])$/.exec(text.trim());
  const count = match ? Number(match[1]) : 0;
  if (!match || count < 1) return { problem: 'expected a span such as 30d, 12h or 2w (hours, days, weeks)' };
  return { ms: count * UNIT_MS[match[2] as keyof typeof UNIT_MS] };
}

/**
 * `--model provider:model`: the provider is one the factory speaks, the model any name after the
 * first colon (a local model's name may hold colons, as `llama3.1:8b` does).
 */
export function parseModelRef(text: string): { ref: ModelRef } | { problem: string } {
  const colon = text.indexOf(':');
  const provider = text.slice(0, Math.max(0, colon));
  const model = text.slice(colon + 1).trim();
  if (colon < 1 || model.length === 0 || !(PROVIDER_IDS as readonly string[]).includes(provider)) {
    return { problem: `expected provider:model, with the provider one of ${PROVIDER_IDS.join(', ')}` };
  }
  return { ref: { provider: provider as ProviderId, model } };
}

/** An eval run's id (see `EVAL_RUN_ID`): the UTC start time to the second, then `suffix`. */
export function evalRunId(now: Date, suffix: string): string {
  return `${now.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z-${suffix}`;
}

/** Folder names that hold tests in the usual layouts (JavaScript, Python, Go, Java, Ruby, Rust). */
const TEST_FOLDERS = new Set(['test', 'tests', '__tests__', 'spec', 'specs', 'e2e']);
/**
 * File names of tests outside such folders: `x.test.ts`, `x.spec.js`, `x_spec.rb`, `test_x.py`,
 * `x_test.go`, and `FooTest.java` (capital T, so `latest.txt` is no test).
 */
const TEST_FILES = [/[._](test|spec)\.[a-z0-9]+$/i, /^test_.+\.[a-z0-9]+$/i, /[a-z0-9]Tests?\.[a-z]+$/];

/**
 * Whether `path` is a test: under a test folder, or named as one. The hidden tests of a replayed
 * task are the accepted change's added or modified files that this says are tests.
 */
export function isTestPath(path: string): boolean {
  const segments = path.split('/');
  const name = segments.at(-1)!;
  return (
    segments.slice(0, -1).some((segment) => TEST_FOLDERS.has(segment)) ||
    TEST_FILES.some((pattern) => pattern.test(name))
  );
}

/** Lines added plus lines removed, from `git diff --numstat` (binary files, shown as `-`, count none). */
export function numstatLines(text: string): number {
  let lines = 0;
  for (const row of text.split('\n')) {
    const counts = /^(\d+)\t(\d+)\t/.exec(row);
    if (counts) lines += Number(counts[1]) + Number(counts[2]);
  }
  return lines;
}

/** Which merged tasks an eval replays: all of them, or the named ones; within a window; the most recent few. */
export interface EvalSelection {
  /** Task ids to replay; empty or absent: every merged task. */
  ids?: readonly string[] | undefined;
  /** Only tasks merged within this many milliseconds before `now`. */
  sinceMs?: number | undefined;
  /** The most recently merged `limit` tasks. */
  limit?: number | undefined;
  now: Date;
}

/** A commit id as git prints one, abbreviated or whole. */
const COMMIT_ID = /^[0-9a-f]{7,64}$/;

/**
 * The tasks to replay, oldest merge first, from the run records: tasks that ended merged with
 * a merge commit. A named task that cannot be replayed is a problem naming it and why, so
 * `--tasks` never silently drops one.
 */
export function selectEvalTasks(
  records: Iterable<RunRecord>,
  selection: EvalSelection,
): { taskIds: string[]; problems: string[] } {
  const byId = new Map<string, RunRecord>();
  for (const record of records) byId.set(record.task_id, record);
  const problems: string[] = [];
  // The merge commit reaches git's command line: only a commit id in hex, never an option.
  const replayable = (record: RunRecord): boolean =>
    record.state === 'merged' && record.merge_commit !== null && COMMIT_ID.test(record.merge_commit);
  let chosen: RunRecord[];
  if (selection.ids && selection.ids.length > 0) {
    chosen = [];
    for (const id of new Set(selection.ids)) {
      const record = byId.get(id);
      if (!record) problems.push(`${id}: no run record in shared/runs/`);
      else if (!replayable(record))
        problems.push(`${id}: is ${record.state}, not merged with a merge commit; only merged tasks replay`);
      else chosen.push(record);
    }
  } else chosen = [...byId.values()].filter(replayable);
  const mergedAt = (record: RunRecord): number => Date.parse(record.merged_at ?? record.updated_at);
  if (selection.sinceMs !== undefined) {
    const since = selection.now.getTime() - selection.sinceMs;
    chosen = chosen.filter((record) => mergedAt(record) >= since);
  }
  chosen.sort((a, b) => mergedAt(a) - mergedAt(b) || a.task_id.localeCompare(b.task_id));
  if (selection.limit !== undefined) chosen = chosen.slice(Math.max(0, chosen.length - selection.limit));
  return { taskIds: chosen.map((record) => record.task_id), problems };
}

/** What an eval run's cases add up to, for its last lines. */
export interface EvalTotals {
  cases: number;
  done: number;
  ownChecksPassed: number;
  hiddenTestsPassed: number;
  /** Cases whose hidden tests ran (pass or fail): the hidden-test rate's denominator. */
  hiddenTestsRun: number;
  costUsd: number;
}

/** The totals of `run`'s cases. */
export function evalTotals(run: EvalRun): EvalTotals {
  const cases = run.cases;
  return {
    cases: cases.length,
    done: cases.filter((item) => item.status === 'done').length,
    ownChecksPassed: cases.filter((item) => item.own_checks === 'pass').length,
    hiddenTestsPassed: cases.filter((item) => item.hidden_tests === 'pass').length,
    hiddenTestsRun: cases.filter((item) => item.hidden_tests === 'pass' || item.hidden_tests === 'fail')
      .length,
    costUsd: Math.round(cases.reduce((sum, item) => sum + item.cost_usd, 0) * 1e6) / 1e6,
  };
}
