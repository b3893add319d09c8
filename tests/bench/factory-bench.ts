/**
 * Figures of whole runs against a loopback model with a fixed latency: the engine in this process,
 * the CLI as a process in a fresh clone, a run with nothing to do, and what a task adds to the
 * repository. The physical limit of a run is the model's latency on the critical path:
 * ⌈N/c⌉ rounds of `calls per task` calls of L each.
 */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderProposal } from '../../scripts/core/protocol/proposal.ts';
import { runFactory } from '../../scripts/engine/run/factory.ts';
import { CLI_BIN } from '../fixtures/cli.ts';
import { type LlmFixture, type SeenRequest, startLlmFixture } from '../fixtures/llm-fixture.ts';
import { createSandboxRepo, git, type TaskStory } from '../fixtures/sandbox-repo.ts';
import { silentProgress } from '../fixtures/silent-progress.ts';
import type { Figure } from './report.ts';

/** Coder and reviewer: one call each for a task approved at its first iteration. */
export const CALLS_PER_TASK = 2;

/** No limit of the factory's own gets in the way: the run is bounded by `concurrency` alone. */
const CONFIG = `export default {
  providers: {
    openai: { concurrency: 64, requests_per_minute: 1000000 },
    gemini: { concurrency: 64, requests_per_minute: 1000000 },
  },
};
`;

/** A model that writes the task's file and approves it, after `latencyMs`. */
export async function modelFixture(latencyMs: number): Promise<LlmFixture> {
  const fixture = await startLlmFixture();
  fixture.fallback = (request: SeenRequest) => {
    const body = JSON.stringify(request.body);
    const coder = /working on task ([\w-]+), iteration (\d+)/.exec(body);
    if (coder) {
      const file = { path: `src/${coder[1]}.txt`, content: `${coder[1]} done\n`, lang: 'txt' };
      return { kind: 'answer', text: `Done.\n\n${renderProposal([file])}`, delayMs: latencyMs };
    }
    return {
      kind: 'answer',
      text: JSON.stringify({ verdict: 'approve', summary: 'Correct.', comments: [] }),
      delayMs: latencyMs,
    };
  };
  return fixture;
}

export function modelEnv(fixture: LlmFixture): Record<string, string> {
  return {
    OPENAI_API_KEY: 'sk-bench-0000',
    GEMINI_API_KEY: 'gm-bench-0000',
    OPENAI_BASE_URL: fixture.openaiUrl,
    GEMINI_BASE_URL: fixture.geminiUrl,
  };
}

function stories(count: number): TaskStory[] {
  return Array.from({ length: count }, (_, index) => {
    const id = `task-${String(index + 1).padStart(5, '0')}`;
    return {
      task: { task_id: id, description: `Write src/${id}.txt`, assignee: 'gpt', files: [`src/${id}.txt`] },
      iterations: [],
    };
  });
}

const floorMs = (tasks: number, concurrency: number, latencyMs: number) =>
  Math.ceil(tasks / concurrency) * latencyMs * CALLS_PER_TASK;

/** `run --once` in this process over `tasks` tasks. */
export async function overheadInProcess(
  tasks: number,
  concurrency: number,
  latencyMs: number,
  target: number,
): Promise<Figure> {
  const fixture = await modelFixture(latencyMs);
  const { root } = await createSandboxRepo(stories(tasks), { config: CONFIG });
  try {
    const started = performance.now();
    const summary = await runFactory(
      root,
      { forge: 'local', concurrency, env: { ...process.env, ...modelEnv(fixture) } },
      silentProgress,
    );
    const wall = performance.now() - started;
    const merged = [...summary.records.values()].filter((record) => record.state === 'merged').length;
    const limit = floorMs(tasks, concurrency, latencyMs);
    const ratio = wall / limit;
    return {
      name: `overhead in process (N=${tasks}, c=${concurrency}, L=${latencyMs} ms)`,
      value: wall / 1000,
      unit: 's',
      limit: limit / 1000,
      ratio,
      target: `ratio ≤ ${target.toFixed(2)}`,
      ok: ratio <= target && merged === tasks,
      ...(merged === tasks ? {} : { note: `only ${merged} of ${tasks} tasks merged` }),
    };
  } finally {
    await fixture.close();
    await rm(root, { recursive: true, force: true });
  }
}

/** Runs the CLI as its own process in `cwd`; its wall time from spawn to exit. */
export function cliRun(
  cwd: string,
  args: readonly string[],
  env: Record<string, string | undefined>,
): Promise<{ code: number; ms: number; output: string }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      cwd,
      env: { ...process.env, GITHUB_ACTIONS: undefined, CI: undefined, FORCE_COLOR: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => resolve({ code: code ?? 1, ms: performance.now() - started, output }));
  });
}

/** Bytes of the objects reachable from `ref`, packed, after `git gc`. */
function packedBytes(root: string, ref: string): number {
  git(root, 'gc', '-q', '--prune=now');
  return Number(git(root, 'rev-list', '--objects', '--disk-usage', ref));
}

/**
 * The CLI in a fresh clone, as a scheduled job runs it: `run --once` over `tasks` tasks; then the
 * same command with nothing left to do; and the repository's growth per task.
 */
export async function endToEnd(
  tasks: number,
  concurrency: number,
  latencyMs: number,
  target: number,
): Promise<Figure[]> {
  const fixture = await modelFixture(latencyMs);
  const { root: origin } = await createSandboxRepo(stories(tasks), { config: CONFIG });
  const clone = join(tmpdir(), `aifactory-bench-clone-${process.pid}-${Date.now()}`);
  try {
    git(tmpdir(), 'clone', '-q', origin, clone);
    git(clone, 'config', 'user.name', 'Bench');
    git(clone, 'config', 'user.email', 'bench@example.invalid');
    const before = packedBytes(clone, 'refs/heads/main');
    const env = modelEnv(fixture);
    const run = await cliRun(
      clone,
      ['run', '--once', '--forge', 'local', '--concurrency', String(concurrency)],
      env,
    );
    const merged = Number(
      git(clone, 'ls-tree', '--name-only', 'main', 'src/').split('\n').filter(Boolean).length,
    );
    const limit = floorMs(tasks, concurrency, latencyMs);
    const ratio = run.ms / limit;
    const figures: Figure[] = [
      {
        name: `overhead end to end (CLI, fresh clone, N=${tasks}, c=${concurrency}, L=${latencyMs} ms)`,
        value: run.ms / 1000,
        unit: 's',
        limit: limit / 1000,
        ratio,
        target: `ratio ≤ ${target.toFixed(2)}`,
        ok: ratio <= target && run.code === 0 && merged === tasks,
        ...(run.code === 0 && merged === tasks
          ? {}
          : { note: `exit ${run.code}, ${merged} of ${tasks} merged: ${run.output.slice(-300)}` }),
      },
    ];
    const head = git(clone, 'rev-parse', 'HEAD');
    const noop = await cliRun(clone, ['run', '--once', '--forge', 'local'], env);
    const committed = git(clone, 'rev-parse', 'HEAD') !== head;
    figures.push({
      name: 'no-op scheduled run (nothing pending)',
      value: noop.ms / 1000,
      unit: 's',
      target: '≤ 1.5 s, no commit',
      ok: noop.ms <= 1500 && !committed && noop.code === 0,
      note: committed ? 'made a commit' : 'no commit',
    });
    const growth = (packedBytes(clone, 'refs/heads/main') - before) / tasks;
    figures.push({
      name: 'repository growth per processed task (default branch, after git gc)',
      value: growth / 1024,
      unit: 'KiB',
      target: '≤ 4 KiB',
      ok: growth <= 4096,
    });
    return figures;
  } finally {
    await fixture.close();
    await rm(origin, { recursive: true, force: true });
    await rm(clone, { recursive: true, force: true });
  }
}
