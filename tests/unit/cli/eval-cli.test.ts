// `aifactory eval` end to end: a history of merged tasks, replayed against a good and a lazy model over real HTTP.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EvalRun, EvalRunSchema } from '../../../scripts/core/record/eval-record.ts';
import { RunRecordSchema } from '../../../scripts/core/record/run-record.ts';
import { CLI_BIN, runCli } from '../../fixtures/cli.ts';
import {
  type Behaviour,
  type LlmFixture,
  type SeenRequest,
  startLlmFixture,
} from '../../fixtures/llm-fixture.ts';
import { createSandboxRepo, git, type TaskStory } from '../../fixtures/sandbox-repo.ts';
import { proposalOf } from '../../fixtures/scripted-engine.ts';

/** Each task writes one file; its accepted change adds a test that pins the exact content. */
const TASKS = [
  { id: 't-greet', path: 'src/greet.txt', right: 'hello world', lazy: 'hello' },
  { id: 't-sum', path: 'src/sum.txt', right: '4', lazy: 'four-ish' },
  { id: 't-shout', path: 'src/shout.txt', right: 'HEY', lazy: 'hey' },
];

function story(task: (typeof TASKS)[number]): TaskStory {
  const test = `tests/${task.id}.sh`;
  return {
    task: {
      task_id: task.id,
      description: `Write ${task.path} holding the agreed text, with a test.`,
      assignee: 'gpt',
      files: [task.path, test],
    },
    iterations: [
      {
        files: [
          { path: task.path, content: `${task.right}\n` },
          { path: test, content: `grep -qx '${task.right}' ${task.path}\n` },
        ],
        verdict: 'approve',
      },
    ],
  };
}

/** The checks run every test script there is; with none, they pass. */
const CHECKS = 'for t in tests/*.sh; do [ -f "$t" ] || continue; sh "$t" || exit 1; done';
const PRICE = { input_per_mtok: 0, output_per_mtok: 10 };
const configWithCap = (cap: number) =>
  `export default { checks: { command: ${JSON.stringify(CHECKS)}, timeout_seconds: 60 }, prices: { 'openai:good': ${JSON.stringify(PRICE)}, 'openai:lazy': ${JSON.stringify(PRICE)} }, caps: { eval_daily_usd: ${cap} } };\n`;

const taskOf = (request: SeenRequest) =>
  TASKS.find((task) => JSON.stringify(request.body).includes(`task ${task.id}`));

/** The good model writes what the task asks; the lazy one writes something its own checks cannot tell apart. */
function modelAnswer(request: SeenRequest): Behaviour {
  const task = taskOf(request);
  if (!task) return { kind: 'status', status: 400, message: 'no task in the prompt' };
  if (request.body.model === 'mute') return { kind: 'answer', text: 'I would rather not.' };
  if (request.body.model === 'rogue') {
    // Rewrites its own task file and plants a hook: the control plane and .git are never a proposal's.
    const files = {
      [task.path]: task.right,
      [`tasks/${task.id}.json`]: '{}',
      '.git/hooks/post-checkout': 'rm -rf /',
    };
    return { kind: 'answer', text: proposalOf(files) };
  }
  const content = request.body.model === 'good' ? task.right : task.lazy;
  // 2000 output tokens at $10 per million: $0.02 a case.
  return { kind: 'answer', text: proposalOf({ [task.path]: content }), usage: { input: 1000, output: 2000 } };
}

let root: string;
let replayDir: string;
let fixture: LlmFixture;
const env = () => ({ OPENAI_API_KEY: 'sk-eval-0000', OPENAI_BASE_URL: fixture.openaiUrl });
const evalCli = (args: string[]) => runCli(['eval', ...args], { cwd: root, env: env(), timeoutMs: 120_000 });

async function evalRuns(): Promise<EvalRun[]> {
  const dir = join(root, 'shared/evals');
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith('.json'));
  return Promise.all(
    names
      .sort()
      .map(async (name) => EvalRunSchema.parse(JSON.parse(await readFile(join(dir, name), 'utf8')))),
  );
}
const runIdOf = (stdout: string) => /Eval run (\S+):/.exec(stdout)?.[1] ?? '';
async function evalRun(id: string): Promise<EvalRun> {
  return EvalRunSchema.parse(JSON.parse(await readFile(join(root, 'shared/evals', `${id}.json`), 'utf8')));
}
const evalSpend = async (): Promise<number> => {
  const dir = join(root, 'shared/budget/eval');
  let total = 0;
  for (const name of await readdir(dir).catch(() => [] as string[]))
    total += JSON.parse(await readFile(join(dir, name), 'utf8')).total_usd as number;
  return total;
};

/** The factory's own day files, by name. */
async function factoryLedger(): Promise<Record<string, string>> {
  const dir = join(root, 'shared/budget');
  const names = (await readdir(dir)).filter((name) => name.endsWith('.json'));
  return Object.fromEntries(
    await Promise.all(names.map(async (name) => [name, await readFile(join(dir, name), 'utf8')])),
  );
}

beforeAll(async () => {
  fixture = await startLlmFixture();
  fixture.fallback = modelAnswer;
  ({ root, replayDir } = await createSandboxRepo(TASKS.map(story), { config: configWithCap(5) }));
  const history = await runCli(['run', '--once', '--replay', replayDir], { cwd: root, timeoutMs: 120_000 });
  expect(history.code, history.stderr).toBe(0);
  for (const task of TASKS) {
    const record = RunRecordSchema.parse(
      JSON.parse(await readFile(join(root, 'shared/runs', `${task.id}.json`), 'utf8')),
    );
    expect(record.state, JSON.stringify(record.last_error)).toBe('merged');
  }
}, 180_000);

afterAll(async () => {
  await fixture.close();
  await rm(root, { recursive: true, force: true });
});

describe('aifactory eval', () => {
  it('dry run: names the merged tasks and the forecast against the eval cap, and calls nothing', async () => {
    const result = await evalCli(['--agent', 'gpt', '--model', 'openai:good', '--dry-run']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('would replay 3 tasks');
    for (const task of TASKS) expect(result.stdout).toContain(task.id);
    expect(result.stdout).toContain('worst case the caps allow: $5.0000');
    expect(result.stdout).toContain('Dry run: nothing was called, written or committed.');
    expect(fixture.requests).toHaveLength(0);
    expect(await evalRuns()).toEqual([]);
  });

  it('a good model passes the hidden tests; a lazy one passes its own checks but not them', async () => {
    const mainBefore = git(root, 'rev-parse', 'main');
    const branchesBefore = git(root, 'branch', '--list');
    const factorySpend = await factoryLedger();
    const good = await evalCli(['--agent', 'gpt', '--model', 'openai:good']);
    expect(good.code, good.stderr).toBe(0);
    const lazy = await evalCli(['--agent', 'gpt', '--model', 'openai:lazy']);
    expect(lazy.code, lazy.stderr).toBe(0);

    const goodRun = await evalRun(runIdOf(good.stdout));
    const lazyRun = await evalRun(runIdOf(lazy.stdout));
    expect(goodRun.model).toBe('openai:good');
    expect(lazyRun.model).toBe('openai:lazy');
    for (const run of [goodRun, lazyRun]) {
      expect(run.finished_at).not.toBeNull();
      expect(run.stopped_by_cap).toBe(false);
      expect(run.cases.map((item) => item.task_id).sort()).toEqual(TASKS.map((task) => task.id).sort());
      for (const item of run.cases) {
        expect(item.status, JSON.stringify(item.error)).toBe('done');
        expect(item.own_checks).toBe('pass');
        expect(item.hidden_test_files).toEqual([`tests/${item.task_id}.sh`]);
        expect(item.accepted_diff_lines).toBe(2);
        expect(item.diff_lines).toBe(1);
        expect(item.cost_usd).toBeCloseTo(0.02, 6);
        expect(item.tokens).toEqual({ input: 1000, output: 2000 });
        // The replay starts where the accepted change started, and names its merge.
        const record = RunRecordSchema.parse(
          JSON.parse(await readFile(join(root, 'shared/runs', `${item.task_id}.json`), 'utf8')),
        );
        expect(item.accepted_sha).toBe(record.merge_commit);
        expect(item.base_sha).toBe(
          git(root, 'merge-base', `${record.merge_commit}^1`, `${record.merge_commit}^2`),
        );
      }
    }
    expect(goodRun.cases.map((item) => item.hidden_tests)).toEqual(['pass', 'pass', 'pass']);
    expect(lazyRun.cases.map((item) => item.hidden_tests)).toEqual(['fail', 'fail', 'fail']);
    expect(good.stdout).toContain('hidden tests passed: 3 of 3 run (100 %)');
    expect(lazy.stdout).toContain('own checks passed: 3 of 3 (100 %)');
    expect(lazy.stdout).toContain('hidden tests passed: 0 of 3 run (0 %)');

    // Nothing reached the repository: no branch, no commit on main, no change to its run records.
    expect(git(root, 'rev-parse', 'main')).toBe(mainBefore);
    expect(git(root, 'branch', '--list')).toBe(branchesBefore);
    expect(await evalSpend()).toBeCloseTo(0.12, 6);
    // The factory's own ledger holds none of it.
    expect(await factoryLedger()).toEqual(factorySpend);
  }, 240_000);

  it('a killed eval resumes without repeating a finished task', async () => {
    // The first task is answered; the next call hangs, and the eval is killed while it waits.
    let answered = 0;
    fixture.fallback = (request) => (answered++ === 0 ? modelAnswer(request) : { kind: 'hang' });
    const before = new Set((await evalRuns()).map((run) => run.run_id));
    // The killed process leaves its scratch clone behind: in a temporary folder of its own, removed here.
    const scratch = await mkdtemp(join(tmpdir(), 'aifactory-eval-kill-'));
    const child: ChildProcess = spawn(
      process.execPath,
      [CLI_BIN, 'eval', '--agent', 'gpt', '--model', 'openai:good'],
      {
        cwd: root,
        env: { ...process.env, ...env(), TMPDIR: scratch, CI: undefined, GITHUB_ACTIONS: undefined },
        stdio: 'ignore',
        // Its own process group, so the kill takes the bin and the CLI process it starts alike.
        detached: true,
      },
    );
    const exited = new Promise((resolve) => child.on('exit', resolve));
    let started: EvalRun | undefined;
    for (let tries = 0; tries < 600 && !started; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      started = (await evalRuns()).find((run) => !before.has(run.run_id) && run.cases.length === 1);
    }
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
    expect(started).toBeDefined();
    await rm(scratch, { recursive: true, force: true, maxRetries: 10 });
    const finished = started!.cases[0]!.task_id;

    fixture.fallback = modelAnswer;
    fixture.requests.length = 0;
    const resumed = await evalCli(['--resume', started!.run_id]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const run = await evalRun(started!.run_id);
    expect(run.cases.map((item) => item.task_id).sort()).toEqual(TASKS.map((task) => task.id).sort());
    expect(run.finished_at).not.toBeNull();
    expect(run.cases.every((item) => item.hidden_tests === 'pass')).toBe(true);
    // The finished task was not asked again; each of the others once.
    expect(fixture.requests.map((request) => taskOf(request)?.id).sort()).toEqual(
      TASKS.map((task) => task.id)
        .filter((id) => id !== finished)
        .sort(),
    );
  }, 240_000);

  it('records a refused or empty answer as no answer, and nothing of it reaches the repository', async () => {
    const taskFile = await readFile(join(root, 'tasks/t-greet.json'), 'utf8');
    for (const [model, rule] of [
      ['openai:rogue', 'protocol'],
      ['openai:mute', 'bad_output'],
    ] as const) {
      const result = await evalCli(['--agent', 'gpt', '--model', model, '--tasks', 't-greet']);
      expect(result.code, result.stderr).toBe(0);
      const run = await evalRun(runIdOf(result.stdout));
      expect(run.task_ids).toEqual(['t-greet']);
      expect(run.cases).toHaveLength(1);
      expect(run.cases[0]).toMatchObject({
        status: 'no_answer',
        own_checks: 'none',
        hidden_tests: 'none',
        error: { class: rule },
      });
    }
    expect(await readFile(join(root, 'tasks/t-greet.json'), 'utf8')).toBe(taskFile);
    expect(git(root, 'status', '--porcelain', '--', 'tasks', 'src', '.git')).toBe('');
  }, 120_000);

  it('replays offline from the recorded answers, named as replayed and free', async () => {
    fixture.requests.length = 0;
    const result = await evalCli(['--agent', 'gpt', '--replay', replayDir, '--tasks', 't-sum']);
    expect(result.code, result.stderr).toBe(0);
    const run = await evalRun(runIdOf(result.stdout));
    expect(run.model).toMatch(/^replay:/);
    expect(run.cases[0]).toMatchObject({
      status: 'done',
      own_checks: 'pass',
      hidden_tests: 'pass',
      cost_usd: 0,
    });
    expect(fixture.requests).toHaveLength(0);
  }, 120_000);

  it('eval spend stops at caps.eval_daily_usd, and the run says so', async () => {
    await rm(join(root, 'shared/budget/eval'), { recursive: true, force: true });
    // $0.03 a day: the first case costs $0.02; the second cannot afford a minimal answer.
    await writeFile(join(root, 'aifactory.config.mjs'), configWithCap(0.03));
    fixture.requests.length = 0;
    const result = await evalCli(['--agent', 'gpt', '--model', 'openai:lazy']);
    expect(result.code, result.stderr).toBe(0);
    const run = await evalRun(runIdOf(result.stdout));
    expect(run.stopped_by_cap).toBe(true);
    expect(run.finished_at).toBeNull();
    expect(run.cases).toHaveLength(1);
    expect(fixture.requests).toHaveLength(1);
    expect(await evalSpend()).toBeLessThanOrEqual(0.03);
    expect(result.stdout).toContain('Stopped at the eval cap (caps.eval_daily_usd, $0.03 a day)');
    expect(result.stdout).toContain(`eval --resume ${run.run_id}`);
  }, 240_000);

  it('prints its help, with every flag and the exit codes, exiting 0', async () => {
    const help = await evalCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: aifactory eval');
    for (const flag of [
      '--agent',
      '--model',
      '--tasks',
      '--since',
      '--limit',
      '--concurrency',
      '--dry-run',
      '--resume',
    ])
      expect(help.stdout).toContain(flag);
    expect(help.stdout).toContain('Exit codes: 0');
  });

  it('names the flag that is wrong, with exit 2', async () => {
    const model = await evalCli(['--agent', 'gpt', '--model', 'nowhere']);
    expect(model.code).toBe(2);
    expect(model.stderr).toContain("option '--model <provider:model>' argument 'nowhere' is invalid");
    const tasks = await evalCli(['--agent', 'gpt', '--tasks', 'no-such-task']);
    expect(tasks.code).toBe(2);
    expect(tasks.stderr).toContain('--tasks: no-such-task: no run record in shared/runs/');
    const since = await evalCli(['--agent', 'gpt', '--since', '30x']);
    expect(since.code).toBe(2);
    expect(since.stderr).toContain('expected a span such as 30d');
    const agent = await evalCli([]);
    expect(agent.code).toBe(2);
    expect(agent.stderr).toContain('--agent: name the agent to evaluate');
    const resume = await evalCli(['--resume', '../../etc/passwd']);
    expect(resume.code).toBe(2);
    expect(resume.stderr).toContain('--resume: "../../etc/passwd" is not an eval run id');
  }, 60_000);
});
