/**
 * Figures of commands as a person or a scheduled job runs them: the CLI's start on the demo tasks,
 * and `validate`, `snapshot` and planning over many tasks.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_BIN, REPO_ROOT } from '../fixtures/cli.ts';
import { sampleData } from '../fixtures/sample-data.ts';
import { git } from '../fixtures/sandbox-repo.ts';
import { cliRun } from './factory-bench.ts';
import type { Figure } from './report.ts';

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Wall time of one process from spawn to exit, and its peak memory (from /usr/bin/time, when present). */
function timed(command: string, args: readonly string[], cwd: string): Promise<{ ms: number; code: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, stdio: 'ignore', env: { ...process.env, FORCE_COLOR: '0' } });
    child.on('close', (code) => resolve({ ms: performance.now() - started, code: code ?? 1 }));
  });
}

/** `aifactory --version`, `status` and `validate` on the demo tasks: the median of `runs` starts each. */
export async function cliStart(runs: number): Promise<Figure[]> {
  const floor: number[] = [];
  for (let run = 0; run < runs; run += 1)
    floor.push((await timed(process.execPath, ['-e', '0'], REPO_ROOT)).ms);
  const nodeStart = median(floor);
  const figures: Figure[] = [];
  for (const command of ['--version', 'status', 'validate']) {
    const times: number[] = [];
    for (let run = 0; run < runs; run += 1)
      times.push((await timed(process.execPath, [CLI_BIN, command], REPO_ROOT)).ms);
    const ms = median(times);
    figures.push({
      name: `CLI start: aifactory ${command} (demo tasks, median of ${runs})`,
      value: ms / 1000,
      unit: 's',
      limit: nodeStart / 1000,
      ratio: ms / nodeStart,
      target: '≤ 0.5 s',
      ok: ms <= 500,
    });
  }
  return figures;
}

/** A repository of `count` sample tasks with their run records, committed. */
async function bigRepo(count: number): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'aifactory-bench-scale-'));
  const { tasks, records } = sampleData(count);
  await mkdir(join(root, 'tasks'), { recursive: true });
  await mkdir(join(root, 'shared/runs'), { recursive: true });
  await Promise.all([
    ...tasks.map((task) =>
      writeFile(join(root, 'tasks', `${task.task_id}.json`), `${JSON.stringify(task, null, 2)}\n`),
    ),
    ...records.map((record) =>
      writeFile(join(root, 'shared/runs', `${record.task_id}.json`), `${JSON.stringify(record, null, 2)}\n`),
    ),
  ]);
  git(root, 'init', '-q', '-b', 'main');
  git(root, 'config', 'user.name', 'Bench');
  git(root, 'config', 'user.email', 'bench@example.invalid');
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'tasks');
  return root;
}

/** Peak resident memory of a CLI command in KiB, from GNU time; undefined where it is missing. */
function peakKib(cwd: string, args: readonly string[]): Promise<number | undefined> {
  return new Promise((resolve) => {
    const child = spawn('/usr/bin/time', ['-f', '%M', process.execPath, CLI_BIN, ...args], {
      cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', () => resolve(undefined));
    child.on('close', () => {
      const kib = Number(stderr.trim().split('\n').at(-1));
      resolve(Number.isFinite(kib) && kib > 0 ? kib : undefined);
    });
  });
}

/** How many times `manyTasks` runs each command; each figure is the median, as the machine is shared. */
const MANY_TASKS_RUNS = 3;

/** The run of median time of `runs` runs of `command`, or the first that did not exit 0. */
async function medianRun(
  runs: number,
  command: () => Promise<{ code: number; ms: number }>,
): Promise<{ code: number; ms: number }> {
  const results: { code: number; ms: number }[] = [];
  for (let run = 0; run < runs; run += 1) results.push(await command());
  const middle = median(results.map((result) => result.ms));
  return results.find((result) => result.code !== 0) ?? results.find((result) => result.ms === middle)!;
}

/**
 * Cold `validate`, `snapshot`, and the peak memory of planning (`run --once --dry-run`), over
 * `count` tasks: each the median of MANY_TASKS_RUNS runs. Every `snapshot` starts from an empty
 * `shared/status/`, so each writes every file, as the first snapshot of a repository does.
 */
export async function manyTasks(count: number): Promise<Figure[]> {
  const root = await bigRepo(count);
  let asides = 0;
  try {
    const validate = await medianRun(MANY_TASKS_RUNS, () => cliRun(root, ['validate'], {}));
    // Each snapshot's files are moved aside, not deleted, until the end: ext4 skips the inodes of
    // files deleted in the last seconds when it allocates new ones, so creating 10,000 files right
    // after deleting 10,000 takes several times longer than either alone.
    const snapshot = await medianRun(MANY_TASKS_RUNS, async () => {
      await rename(join(root, 'shared/status'), `${root}-status-${++asides}`).catch(() => undefined);
      return cliRun(root, ['snapshot'], {});
    });
    const peaks: (number | undefined)[] = [];
    for (let run = 0; run < MANY_TASKS_RUNS; run += 1)
      peaks.push(await peakKib(root, ['run', '--once', '--dry-run']));
    const kib = peaks.includes(undefined) ? undefined : median(peaks as number[]);
    const exit = (code: number) => (code === 0 ? {} : { note: `exit ${code}` });
    return [
      {
        name: `cold validate, ${count} tasks (CLI process, median of ${MANY_TASKS_RUNS})`,
        value: validate.ms / 1000,
        unit: 's',
        target: '≤ 2 s',
        ok: validate.ms <= 2000 && validate.code === 0,
        ...exit(validate.code),
      },
      {
        name: `snapshot, ${count} tasks (CLI process, every file new, median of ${MANY_TASKS_RUNS})`,
        value: snapshot.ms / 1000,
        unit: 's',
        target: '≤ 1 s',
        ok: snapshot.ms <= 1000 && snapshot.code === 0,
        ...exit(snapshot.code),
      },
      kib === undefined
        ? {
            name: `planning peak memory, ${count} tasks`,
            value: Number.NaN,
            unit: 'MB',
            target: '≤ 300 MB',
            note: '/usr/bin/time is missing',
          }
        : {
            name: `planning peak memory, ${count} tasks (run --once --dry-run, peak RSS, median of ${MANY_TASKS_RUNS})`,
            value: kib / 1024,
            unit: 'MB',
            target: '≤ 300 MB',
            ok: kib / 1024 <= 300,
          },
    ];
  } finally {
    await rm(root, { recursive: true, force: true });
    for (let aside = 1; aside <= asides; aside += 1)
      await rm(`${root}-status-${aside}`, { recursive: true, force: true });
  }
}
