import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../agents/config-loader.ts';
import type { RunRecord } from '../core/run-record.ts';
import { buildSnapshots, checkRunsFrom } from '../core/snapshot.ts';
import type { CiRun } from '../core/snapshot-schema.ts';
import { stableStringify } from '../core/stable-json.ts';
import { runGit } from '../forge/git.ts';
import { sweepStaleTemps, writeFileAtomically } from '../io/atomic-write.ts';
import { RunStore } from './run-store.ts';
import { SecretGuard } from './secret-guard.ts';
import { loadTasks, loadValidationContext } from './task-files.ts';

/** Where the dashboard's data lives, relative to the repository root. */
export const STATUS_DIR = 'shared/status';

/** Run records, skipping (and reporting) any that are damaged, so one bad file never hides the rest. */
async function readRecords(root: string, problems: string[]): Promise<RunRecord[]> {
  const { records, damaged } = await new RunStore(root).readAll();
  for (const problem of damaged.values()) problems.push(`${problem}; skipped`);
  return [...records.values()];
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
 */
async function commitsPerDay(
  root: string,
  branch: string,
  records: readonly RunRecord[],
): Promise<Record<string, number>> {
  const log = await runGit(root, [
    'log',
    '--first-parent',
    '--format=%cs',
    '--invert-grep',
    `--grep=^${STATE_COMMIT_SUBJECT}`,
    `refs/heads/${branch}`,
  ]);
  if (log.code !== 0) return {};
  const counts: Record<string, number> = {};
  for (const day of log.stdout.split('\n').filter(Boolean)) counts[day] = (counts[day] ?? 0) + 1;
  const merged = records.filter((record) => record.merge_commit && record.merged_at);
  if (merged.length > 0) {
    const input = `${merged.map((record) => `${record.merge_commit}^{commit}`).join('\n')}\n`;
    const known = await runGit(root, ['cat-file', '--batch-check=%(objectname)'], { input });
    const lines = known.stdout.split('\n');
    merged.forEach((record, index) => {
      if (!lines[index]?.endsWith('missing')) return;
      const day = record.merged_at!.slice(0, 10);
      counts[day] = (counts[day] ?? 0) + 1;
    });
  }
  return counts;
}

/**
 * Writes `shared/status/` from the task files and run records. Only files whose bytes changed
 * are written (atomically), and detail files of tasks that are gone are removed, so a run with
 * nothing new changes nothing. The run's secrets (by default those of this process's environment)
 * are redacted from every string: snapshots are published, and task text is copied into them.
 */
export async function writeSnapshots(
  root: string,
  options: { ci?: CiRun[]; secrets?: SecretGuard } = {},
): Promise<{ written: string[]; unchanged: string[]; removed: string[]; problems: string[] }> {
  const config = await loadConfig(root);
  const { context } = await loadValidationContext(root);
  const report = await loadTasks(root, context).catch(() => ({ tasks: [], problems: [] }));
  const problems: string[] = [];
  const records = await readRecords(root, problems);
  const files = buildSnapshots({
    tasks: report.tasks.map(({ task }) => task),
    records,
    ci: options.ci ?? checkRunsFrom(records),
    commitsPerDay: await commitsPerDay(root, config.default_branch, records),
    scheduleIntervalSeconds: config.watch_interval_seconds,
  });
  const dir = join(root, STATUS_DIR);
  await sweepStaleTemps(dir);
  const written: string[] = [];
  const unchanged: string[] = [];
  const secrets = options.secrets ?? SecretGuard.fromEnv(process.env);
  for (const [path, value] of files) {
    const changed = await writeFileAtomically(join(dir, path), stableStringify(secrets.redactDeep(value)));
    (changed ? written : unchanged).push(path);
  }
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
