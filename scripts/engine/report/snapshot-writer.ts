// Writes `shared/status/` from tasks, run records, budget, the forge's CI state and commit counts, redacted.
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { parseDayFile } from '../../agents/budget/file.ts';
import { BUDGET_DIR } from '../../agents/budget/ledger.ts';
import { TOOL_ANSWERER } from '../../agents/types.ts';
import type { Config } from '../../core/config.ts';
import type { RunRecord } from '../../core/record/run-record.ts';
import { stableStringify } from '../../core/stable-json.ts';
import {
  type AgentStatusFile,
  type AgentStatusInput,
  buildAgentStatus,
} from '../../core/status/agent-status.ts';
import { mergeCiRuns, recordChecksBeside } from '../../core/status/ci-runs.ts';
import { addCommitCounts, commitsBefore } from '../../core/status/commit-days.ts';
import { revertedIn } from '../../core/status/model-stats.ts';
import { cronIntervalSeconds } from '../../core/status/schedule-health.ts';
import { buildSnapshots, checkRunsFrom, HISTORY_WINDOW_DAYS } from '../../core/status/snapshot.ts';
import {
  type CiRun,
  CiSchema,
  HistorySchema,
  ModelsSchema,
  type Revert,
  RevertSchema,
} from '../../core/status/snapshot-schema.ts';
import { runGit } from '../../forge/local/git.ts';
import type { Forge, LandedCommit } from '../../forge/types.ts';
import { sweepStaleTemps } from '../../io/atomic-write.ts';
import { writeChangedFiles } from '../../io/many-files.ts';
import { readEvalRuns } from '../eval/eval-store.ts';
import { SecretGuard } from '../guard/secret-guard.ts';
import { RunStore } from '../store/run-store.ts';
import { loadTasks, loadValidationContext } from '../store/task-files.ts';
import { keyEnvOf, readRunFile } from './run-observer.ts';

/** Where the dashboard's data lives, relative to the repository root. */
export const STATUS_DIR = 'shared/status';

/** Run records, skipping (and reporting) any that are damaged, so one bad file never hides the rest. */
async function readRecords(root: string, problems: string[]): Promise<RunRecord[]> {
  const { records, damaged } = await new RunStore(root).readAll();
  for (const problem of damaged.values()) problems.push(`${problem}; skipped`);
  return [...records.values()];
}

/** How many commits a run reads from the forge at most, when no earlier history says where to start. */
const COMMITS_READ = 5_000;

async function readStatusFile<T>(
  root: string,
  name: string,
  schema: { parse(value: unknown): T },
): Promise<T | undefined> {
  try {
    return schema.parse(JSON.parse(await readFile(join(root, STATUS_DIR, name), 'utf8')));
  } catch {
    return undefined;
  }
}

/** The CI runs the last snapshot showed; none when it is missing or damaged (it is rebuilt). */
async function previousCiRuns(root: string): Promise<CiRun[]> {
  return (await readStatusFile(root, 'ci.json', CiSchema))?.runs ?? [];
}

/**
 * Commits per day on the default branch as the forge sees them, for a forge whose history the
 * local checkout lacks (GitHub): the days the last snapshot counted, and the forge's count of the
 * commits that landed from the day it was made (recounted in full) until now, state commits left
 * out. Undefined for a forge without one. When the
 * forge cannot answer, the last snapshot's counts stand, and `warn` says so.
 */
export async function commitsThroughForge(
  root: string,
  forge: Pick<Forge, 'reports'>,
  now: Date,
  warn: (message: string) => void = () => undefined,
): Promise<Record<string, number> | undefined> {
  return (await landedThroughForge(root, forge, now, warn))?.commitsPerDay;
}

/** The reverts a landed commit names, as snapshot entries; a reply's malformed ids are dropped. */
function revertsOf(commit: LandedCommit): Revert[] {
  return (commit.reverts ?? []).flatMap((reverted) => {
    const parsed = RevertSchema.safeParse({ commit: commit.sha, reverted, day: commit.day });
    return parsed.success ? [parsed.data] : [];
  });
}

/**
 * `commitsThroughForge`'s counts, and the reverts among the same commits (for the Models page):
 * one read of the forge's history gives both. No reverts when the forge cannot answer.
 */
async function landedThroughForge(
  root: string,
  forge: Pick<Forge, 'reports'>,
  now: Date,
  warn: (message: string) => void,
): Promise<{ commitsPerDay: Record<string, number>; reverts: Revert[] } | undefined> {
  const reports = forge.reports;
  if (!reports) return undefined;
  const history = await readStatusFile(root, 'history.json', HistorySchema);
  // Only its time is needed, so a summary of an older or newer shape still tells it.
  const summary = await readStatusFile(
    root,
    'summary.json',
    z.object({ generated_at: z.iso.datetime().nullable() }),
  );
  const since =
    summary?.generated_at?.slice(0, 10) ??
    new Date(now.getTime() - HISTORY_WINDOW_DAYS * 86_400_000).toISOString().slice(0, 10);
  try {
    const recent: Record<string, number> = {};
    const reverts: Revert[] = [];
    for (const commit of await reports.landedCommits(`${since}T00:00:00Z`, COMMITS_READ)) {
      const { day, subject } = commit;
      // The factory's state commits are left out, as on the local forge (see commitsPerDay).
      // A day the history cannot place (a reply without a proper date) is not counted.
      if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || subject.startsWith(STATE_COMMIT_SUBJECT)) continue;
      recent[day] = (recent[day] ?? 0) + 1;
      reverts.push(...revertsOf(commit));
    }
    return { commitsPerDay: addCommitCounts(commitsBefore(history, since), recent), reverts };
  } catch (error) {
    warn(`the commit counts keep their last values: ${(error as Error).message}`);
    return { commitsPerDay: commitsBefore(history, '9999-12-31'), reverts: [] };
  }
}

/**
 * What a forge with a history of its own (GitHub) adds to the snapshots: its CI state, its
 * commit counts and the reverts that landed since the last snapshot. Nothing for the local
 * forge, whose records and clone say it all.
 */
export async function forgeSnapshotInputs(
  root: string,
  forge: Pick<Forge, 'reports'>,
  now: Date,
  warn: (message: string) => void,
): Promise<{ ci?: CiRun[]; commitsPerDay?: Record<string, number>; reverts?: Revert[] }> {
  const ci = await forge.reports?.ciRuns();
  if (ci?.warning) warn(ci.warning);
  const landed = await landedThroughForge(root, forge, now, warn);
  return { ...(ci ? { ci: ci.runs } : {}), ...(landed ?? {}) };
}

/** The factory's GitHub workflow, whose `schedule:` starts scheduled runs. */
export const FACTORY_WORKFLOW = '.github/workflows/factory.yml';

/**
 * Seconds between scheduled runs: the factory workflow's first cron when it has one (GitHub's
 * schedule), else the config's `watch_interval_seconds` (the local `watch` loop).
 */
async function scheduleInterval(root: string, config: Config): Promise<number> {
  const text = await readFile(join(root, FACTORY_WORKFLOW), 'utf8').catch(() => undefined);
  let cron: unknown;
  try {
    // Loaded only here: every command loads this module, and the YAML parser is 72 modules.
    const workflow = text === undefined ? undefined : (await import('yaml')).parse(text);
    cron = workflow?.on?.schedule?.[0]?.cron;
  } catch {
    cron = undefined;
  }
  return (typeof cron === 'string' ? cronIntervalSeconds(cron) : null) ?? config.watch_interval_seconds;
}

/** The subject every state commit of the factory starts with (see state-publisher.ts). */
export const STATE_COMMIT_SUBJECT = 'aifactory: state after run';

/**
 * Commits per day on the default branch, the seed's "commit graph": the commits that landed on
 * it (first parents), so a merged pull request counts once. The factory's own state
 * commits are left out: counting them would change the snapshot after every run, so a run with
 * nothing to do would still commit. Merges a run made through the API that this clone does not
 * hold yet (a github run's checkout predates them) are counted on the day they were recorded, so
 * the next run, whose checkout holds them, counts the same.
 *
 * git starts reading the log at once, while the records are read and parsed here; the count is
 * finished, with the records, by the function returned.
 */
function commitsPerDay(
  root: string,
  branch: string,
): (records: readonly RunRecord[]) => Promise<Record<string, number>> {
  const reading = runGit(root, [
    'log',
    '--first-parent',
    '--format=%cs',
    '--invert-grep',
    `--grep=^${STATE_COMMIT_SUBJECT}`,
    `refs/heads/${branch}`,
  ]);
  // Awaited below, where a failure to start git is thrown; until then it is no unhandled rejection.
  reading.catch(() => undefined);
  return async (records) => {
    const log = await reading;
    if (log.code !== 0) return {};
    const counts: Record<string, number> = {};
    for (const day of log.stdout.split('\n').filter(Boolean)) counts[day] = (counts[day] ?? 0) + 1;
    const merged = records.filter((record) => record.merge_commit && record.merged_at);
    if (merged.length > 0) {
      // Each commit is asked once: git looks for a missing one through every pack again.
      const commits = [...new Set(merged.map((record) => record.merge_commit!))];
      const input = `${commits.map((commit) => `${commit}^{commit}`).join('\n')}\n`;
      const known = await runGit(root, ['cat-file', '--batch-check=%(objectname)'], { input });
      const lines = known.stdout.split('\n');
      const missing = new Set(commits.filter((_, index) => lines[index]?.endsWith('missing')));
      for (const record of merged) {
        if (!missing.has(record.merge_commit!)) continue;
        const day = record.merged_at!.slice(0, 10);
        counts[day] = (counts[day] ?? 0) + 1;
      }
    }
    return counts;
  };
}

/**
 * Every commit on the default branch's own line that says it reverts others, read from this
 * clone (the local forge's history is all here). None when git cannot read the branch.
 */
async function revertsInClone(root: string, branch: string): Promise<Revert[]> {
  const log = await runGit(root, [
    'log',
    '--first-parent',
    '--format=%H%x1f%cs%x1f%B%x1e',
    '--grep=^This reverts commit ',
    `refs/heads/${branch}`,
  ]);
  if (log.code !== 0) return [];
  return log.stdout
    .split('\x1e')
    .map((entry) => entry.replace(/^\n/, ''))
    .filter(Boolean)
    .flatMap((entry) => {
      const [sha, day, message] = entry.split('\x1f') as [string, string, string];
      return revertsOf({ sha, day, subject: '', reverts: revertedIn(message) });
    });
}

/** The reverts the last snapshot knew; none when it is missing or damaged. */
async function previousReverts(root: string): Promise<Revert[]> {
  return (await readStatusFile(root, 'models.json', ModelsSchema))?.reverts ?? [];
}

/**
 * What agent status is built from: the registry, the caps, the last run's own file and the
 * budget ledger's day of that run. A damaged run or budget file is a problem, read as none.
 */
export async function agentStatusInput(
  root: string,
  loaded: { config: Config; registry: Awaited<ReturnType<typeof loadValidationContext>>['registry'] },
  problems: string[],
): Promise<AgentStatusInput> {
  const run = await readRunFile(root, (message) => problems.push(message));
  const day = (run?.finished_at ?? run?.started_at)?.slice(0, 10);
  let spend: AgentStatusInput['spend'] = null;
  if (day) {
    const name = `${day}.json`;
    const text = await readFile(join(root, BUDGET_DIR, name), 'utf8').catch(() => undefined);
    const read = text === undefined ? undefined : parseDayFile(name, text);
    if (read && 'problem' in read) problems.push(`${BUDGET_DIR}/${name}: ${read.problem}; skipped`);
    spend =
      read && 'day' in read
        ? { day, total_usd: read.day.total, by_agent: Object.fromEntries(read.day.byAgent) }
        : { day, total_usd: 0, by_agent: {} };
  }
  return {
    agents: loaded.registry.list().map((agent) => ({
      name: agent.name,
      role: agent.role,
      ...(agent.role === 'tool' ? TOOL_ANSWERER : { provider: agent.provider, model: agent.model }),
      key_env: keyEnvOf(agent, run?.replay === true),
      caps: agent.caps,
    })),
    caps: loaded.config.caps,
    run,
    spend,
  };
}

/**
 * The agent status `agent-status.json` holds, built now from the same inputs as the snapshot
 * (during a run, the run's file is rewritten as it goes, so this is live).
 */
export async function currentAgentStatus(
  root: string,
): Promise<{ status: AgentStatusFile; problems: string[] }> {
  const { config, registry } = await loadValidationContext(root);
  const problems: string[] = [];
  const status = buildAgentStatus(await agentStatusInput(root, { config, registry }, problems));
  return { status, problems };
}

/**
 * Writes `shared/status/` from the task files and run records. Only files whose bytes changed
 * are written (atomically), and detail files of tasks that are gone are removed, so a run with
 * nothing new changes nothing. The run's secrets (by default those of this process's environment)
 * are redacted from every string: snapshots are published, and task text is copied into them.
 */
export async function writeSnapshots(
  root: string,
  options: {
    ci?: CiRun[];
    commitsPerDay?: Record<string, number>;
    /** Reverts the forge reported since the last snapshot; without them, this clone's are read. */
    reverts?: Revert[];
    secrets?: SecretGuard;
  } = {},
): Promise<{ written: string[]; unchanged: string[]; removed: string[]; problems: string[] }> {
  const { config, registry, context } = await loadValidationContext(root);
  const countCommits = options.commitsPerDay ? undefined : commitsPerDay(root, config.default_branch);
  const report = await loadTasks(root, context).catch(() => ({ tasks: [], problems: [] }));
  const problems: string[] = [];
  const records = await readRecords(root, problems);
  const previous = await previousCiRuns(root);
  const agentStatus = await agentStatusInput(root, { config, registry }, problems);
  const evals = await readEvalRuns(root);
  problems.push(...evals.problems);
  // The forge reports only what landed since the last snapshot, and a shallow clone only its
  // own depth: the reverts found before are kept (models.json holds each once).
  const reverts = [
    ...(await previousReverts(root)),
    ...(options.reverts ?? (await revertsInClone(root, config.default_branch))),
  ];
  const files = buildSnapshots({
    tasks: report.tasks.map(({ task }) => task),
    records,
    // The forge's CI state updates what earlier runs saw; without one, the records' checks do.
    ci: mergeCiRuns(previous, options.ci ?? recordChecksBeside(previous, checkRunsFrom(records))),
    commitsPerDay: options.commitsPerDay ?? (await countCommits!(records)),
    scheduleIntervalSeconds: await scheduleInterval(root, config),
    agentStatus,
    evals: evals.runs,
    reverts,
  });
  const dir = join(root, STATUS_DIR);
  await sweepStaleTemps(dir);
  const written: string[] = [];
  const unchanged: string[] = [];
  const secrets = options.secrets ?? SecretGuard.fromEnv(process.env);
  // Made one at a time as they are written, so not every file's text is held at once.
  const texts = function* (): Generator<[string, string]> {
    for (const [path, value] of files)
      yield [join(dir, path), stableStringify(value, (text) => secrets.redact(text))];
  };
  const changed = await writeChangedFiles(texts());
  [...files.keys()].forEach((path, index) => {
    (changed[index] ? written : unchanged).push(path);
  });
  const removed: string[] = [];
  const details = await readdir(join(dir, 'tasks')).catch(() => [] as string[]);
  for (const name of details) {
    if (!files.has(`tasks/${name}`)) {
      await rm(join(dir, 'tasks', name), { force: true });
      removed.push(`tasks/${name}`);
    }
  }
  return { written, unchanged, removed, problems };
}
