import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DayFileSchema } from '../../../scripts/agents/budget/file.ts';
import { renderProposal } from '../../../scripts/core/protocol/proposal.ts';
import { RunRecordSchema } from '../../../scripts/core/record/run-record.ts';
import { type CliResult, runCli } from '../../fixtures/cli.ts';
import { GitHubFixture } from '../../fixtures/github/fixture.ts';
import { githubEnv } from '../../fixtures/github-env.ts';
import { type LlmFixture, type SeenRequest, startLlmFixture } from '../../fixtures/llm-fixture.ts';
import { createSandboxRepo, simpleStory, type TaskStory } from '../../fixtures/sandbox-repo.ts';

/**
 * The factory workflow's matrix, step by step as its jobs run it: `plan-shards` in a checkout,
 * one `run --shard i/n` CLI process per worker, each in its own fresh clone and all at once,
 * their shared/runs/ and shared/budget/ copied out as the artifacts, then `merge-shards` in a
 * checkout of the commit they all started from. Against the GitHub fixture.
 */

const DAILY_CAP = 3;
const STORIES: TaskStory[] = [
  simpleStory('chain-a', {}, 2),
  simpleStory('chain-b', { depends_on: ['chain-a'] }),
  simpleStory('chain-c', { depends_on: ['chain-b'], assignee: 'grok-fast' }),
  simpleStory('solo-1'),
  simpleStory('solo-2', { assignee: 'gemini-pro' }),
  simpleStory('solo-3'),
  simpleStory('solo-4', { assignee: 'grok-fast' }, 2),
  simpleStory('solo-5'),
];
const ITERATIONS: Record<string, number> = Object.fromEntries(
  STORIES.map((story) => [story.task.task_id, story.iterations.length]),
);
const CONFIG = `export default { shards: { threshold: 3, max: 3 }, caps: { daily_usd: ${DAILY_CAP} } };\n`;

/**
 * The model servers, answering as each task's story says: the prompts name the task and the
 * iteration. Real providers over loopback, so every call is priced and recorded in the ledger.
 */
function storyteller(request: SeenRequest) {
  const prompt = JSON.stringify(request.body);
  const coder = /working on task ([\w-]+), iteration (\d+)/.exec(prompt);
  const reviewer = /Review the pull request for task ([\w-]+) \(iteration (\d+)/.exec(prompt);
  const [, id, n] = coder ?? reviewer ?? [];
  const story = STORIES.find((item) => item.task.task_id === id);
  const step = story?.iterations[Number(n) - 1];
  if (!story || !step) return { kind: 'status' as const, status: 400, message: 'no story for this prompt' };
  const usage = { input: 1000, output: 200 };
  if (coder)
    return { kind: 'answer' as const, text: `Iteration ${n}.\n\n${renderProposal(step.files)}\n`, usage };
  const approve = step.verdict === 'approve';
  const verdict = {
    verdict: step.verdict,
    summary: approve ? 'Good.' : 'Please change it.',
    comments: approve ? [] : [{ path: step.files[0]!.path, body: 'not yet' }],
  };
  return { kind: 'answer' as const, text: JSON.stringify(verdict), usage };
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A fresh clone of the fixture's repository at `ref`, as actions/checkout makes one. */
async function checkout(github: GitHubFixture, ref: string): Promise<string> {
  const dir = await tempDir('aifactory-job-');
  execFileSync('git', ['clone', '-q', github.git.dir, dir]);
  execFileSync('git', ['checkout', '-q', ref], { cwd: dir });
  return dir;
}

const ok = (result: CliResult): CliResult => {
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  return result;
};

async function mainLog(github: GitHubFixture): Promise<string[]> {
  return (await github.git.run(['log', '--format=%s', 'main'])).stdout.toString().trim().split('\n');
}

async function setUp(config: string) {
  const sandbox = await createSandboxRepo(STORIES, { config });
  cleanups.push(() => rm(sandbox.root, { recursive: true, force: true }));
  const github = await GitHubFixture.start({
    seed: sandbox.root,
    ci: () => 'success',
    mergeableAfterReads: 0,
  });
  cleanups.push(() => github.stop());
  const llm: LlmFixture = await startLlmFixture();
  cleanups.push(() => llm.close());
  llm.fallback = storyteller;
  const env = {
    OPENAI_API_KEY: 'sk-test-0000',
    XAI_API_KEY: 'xai-test-0000',
    GEMINI_API_KEY: 'gm-test-0000',
    OPENAI_BASE_URL: llm.openaiUrl,
    XAI_BASE_URL: llm.openaiUrl,
    GEMINI_BASE_URL: llm.geminiUrl,
    ...githubEnv(github),
  };
  const started = (await github.git.run(['rev-parse', 'main'])).stdout.toString().trim();

  return { github, env, started };
}

/** The worker jobs, at once, each from its own checkout; their artifacts are copied out as upload-artifact keeps them. */
async function runWorkers(
  github: GitHubFixture,
  env: Record<string, string>,
  started: string,
  shards: string[],
) {
  const artifacts = await tempDir('aifactory-artifacts-');
  const workers = await Promise.all(
    shards.map(async (shard: string) => {
      const clone = await checkout(github, started);
      const summary = join(clone, '..', `${clone.split('/').pop()}-summary.md`);
      const result = ok(
        await runCli(['run', '--once', '--forge', 'github', '--shard', shard], {
          cwd: clone,
          env: { ...env, GITHUB_STEP_SUMMARY: summary },
          timeoutMs: 120_000,
        }),
      );
      expect(result.stdout).toContain(`Shard ${shard}: records and spend left`);
      // actions/upload-artifact of shared/runs/ and shared/budget/ keeps them as runs/ and budget/.
      const artifact = join(artifacts, `shard-${shard.split('/')[0]}`);
      for (const folder of ['runs', 'budget']) {
        if (!existsSync(join(clone, 'shared', folder))) continue;
        await mkdir(artifact, { recursive: true });
        await cp(join(clone, 'shared', folder), join(artifact, folder), { recursive: true });
      }
      return { shard, touched: /Run finished: (\d+) task/.exec(result.stdout)?.[1], output: result.stdout };
    }),
  );
  return { artifacts, workers };
}

describe('scale-out on an Actions matrix', () => {
  it('plans shards, runs each task exactly once across worker processes within the budget, and merges with one commit', async () => {
    const { github, env, started } = await setUp(CONFIG);

    // The plan job: 8 pending tasks over a threshold of 3 → 3 shards.
    const plan = JSON.parse(
      ok(await runCli(['plan-shards'], { cwd: await checkout(github, started) })).stdout,
    );
    expect(plan).toEqual({ count: 3, shard: ['1/3', '2/3', '3/3'], pending: 8 });

    // The workers, at once, each from its own checkout of the same commit.
    const { artifacts, workers } = await runWorkers(github, env, started, plan.shard);
    // Every task was touched by exactly one worker, and the chain stayed together.
    expect(workers.reduce((sum, worker) => sum + Number(worker.touched ?? 0), 0)).toBe(STORIES.length);
    // Workers publish nothing themselves.
    expect((await mainLog(github)).filter((subject) => subject.startsWith('aifactory: state'))).toEqual([]);

    // The merge job, from a checkout of the commit the run started on.
    const mergeRoot = await checkout(github, started);
    const merged = ok(
      await runCli(['merge-shards', '--forge', 'github', artifacts], { cwd: mergeRoot, env }),
    );
    // A shard whose chains hashed elsewhere uploads nothing (if-no-files-found: ignore).
    const busy = workers.filter((worker) => Number(worker.touched ?? 0) > 0).length;
    expect(busy, JSON.stringify(workers)).toBeGreaterThanOrEqual(2);
    expect(merged.stdout).toContain(`Merged ${busy} shards: 8 records changed`);
    expect(merged.stdout).toMatch(/State: \d+ files committed to the default branch/);

    // One pull request per task, each merged, one review per iteration: each task ran exactly once.
    expect(
      github.pulls.map((pr) => [pr.head, pr.merged]).sort(),
      workers.map((worker) => worker.output).join('\n'),
    ).toEqual(
      Object.keys(ITERATIONS)
        .sort()
        .map((id) => [`aifactory/${id}`, true]),
    );
    for (const pr of github.pulls) {
      expect(pr.reviews, pr.head).toHaveLength(ITERATIONS[pr.head.slice('aifactory/'.length)]!);
    }
    // One state commit on the default branch, holding every record, all merged.
    expect((await mainLog(github)).filter((subject) => subject.startsWith('aifactory: state'))).toHaveLength(
      1,
    );
    let spent = 0;
    for (const id of Object.keys(ITERATIONS)) {
      const record = RunRecordSchema.parse(
        JSON.parse((await github.readFile('main', `shared/runs/${id}.json`))!),
      );
      expect(record.state, id).toBe('merged');
      expect(
        record.attempts.filter((attempt) => attempt.kind === 'code'),
        id,
      ).toHaveLength(ITERATIONS[id]!);
      spent += record.attempts.reduce((sum, attempt) => sum + attempt.cost_usd, 0);
    }
    // The folded ledger holds every shard's spend, and it stays under the daily cap.
    const day = new Date().toISOString().slice(0, 10);
    const ledger = DayFileSchema.parse(
      JSON.parse((await github.readFile('main', `shared/budget/${day}.json`))!),
    );
    expect(ledger.total_usd).toBeCloseTo(spent, 5);
    expect(ledger.total_usd).toBeGreaterThan(0);
    expect(ledger.total_usd).toBeLessThanOrEqual(DAILY_CAP);
    expect(Object.keys(ledger.by_task).sort()).toEqual(Object.keys(ITERATIONS).sort());
    expect(await github.readFile('main', 'shared/status/summary.json')).not.toBeNull();
    expect(github.invalid).toEqual([]);

    // The next scheduled run: nothing pending, one shard, and merging the same results again commits nothing.
    const next = await checkout(github, 'main');
    expect(JSON.parse(ok(await runCli(['plan-shards'], { cwd: next })).stdout)).toEqual({
      count: 1,
      shard: ['1/1'],
      pending: 0,
    });
    const again = ok(await runCli(['merge-shards', '--forge', 'github', artifacts], { cwd: next, env }));
    expect(again.stdout).toContain(`Merged ${busy} shards: 0 records changed`);
    expect((await mainLog(github)).filter((subject) => subject.startsWith('aifactory: state'))).toHaveLength(
      1,
    );
  }, 300_000);

  it("under a tight daily cap, the shards' tasks wait rather than pass it, and nothing runs twice", async () => {
    const cap = 0.01;
    const { github, env, started } = await setUp(
      `export default { shards: { threshold: 3, max: 3 }, caps: { daily_usd: ${cap} } };\n`,
    );
    const plan = JSON.parse(
      ok(await runCli(['plan-shards'], { cwd: await checkout(github, started) })).stdout,
    );
    const { artifacts, workers } = await runWorkers(github, env, started, plan.shard);
    const output = workers.map((worker) => worker.output).join('\n');
    expect(output).toMatch(/the daily cap \(\$0\.0\d+\) would be passed/);
    ok(
      await runCli(['merge-shards', '--forge', 'github', artifacts], {
        cwd: await checkout(github, started),
        env,
      }),
    );
    const day = new Date().toISOString().slice(0, 10);
    const ledger = DayFileSchema.parse(
      JSON.parse((await github.readFile('main', `shared/budget/${day}.json`))!),
    );
    expect(ledger.total_usd).toBeGreaterThan(0);
    expect(ledger.total_usd).toBeLessThanOrEqual(cap);
    // Some tasks wait for budget; none has two pull requests.
    const heads = github.pulls.map((pr) => pr.head);
    expect(new Set(heads).size).toBe(heads.length);
    expect(github.pulls.filter((pr) => pr.merged).length).toBeLessThan(STORIES.length);
    expect(github.invalid).toEqual([]);
  }, 300_000);
});
