import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { RunRecordSchema } from '../../scripts/core/record/run-record.ts';
import { REPO_ROOT } from '../fixtures/cli.ts';
import { GitHubFixture } from '../fixtures/github/fixture.ts';
import { githubEnv } from '../fixtures/github-env.ts';
import { createSandboxRepo, simpleStory, type TaskStory } from '../fixtures/sandbox-repo.ts';
import { chaosTrials, seededRandom } from '../fixtures/seeded-random.ts';

/**
 * The crash test of the local loop, on the github forge: the CLI runs in its own process against
 * the GitHub fixture, is killed with SIGKILL at a seeded point, and runs again from the same
 * clone. GitHub must end up holding each thing once: one pull request per task, one review per
 * reviewed head and iteration, one commit per iteration, one merge.
 */

const { seed: SEED, trials: TRIALS } = chaosTrials({ seed: 20261202, trials: 8 });
const LOADER = pathToFileURL(join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const CLI = join(REPO_ROOT, 'scripts/cli.ts');

function run(
  root: string,
  env: Record<string, string>,
  args: string[],
  killAt?: { line: number; delayMs: number; signal?: NodeJS.Signals },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', LOADER, CLI, ...args], {
      cwd: root,
      detached: true,
      env: { ...process.env, CI: 'true', GITHUB_ACTIONS: undefined, FORCE_COLOR: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let armed = killAt !== undefined;
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (armed && output.split('\n').length - 1 >= killAt!.line) {
        armed = false;
        setTimeout(() => {
          try {
            process.kill(killAt!.signal === 'SIGINT' ? child.pid! : -child.pid!, killAt!.signal ?? 'SIGKILL');
          } catch {
            // Already gone.
          }
        }, killAt!.delayMs);
      }
    });
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => resolve({ code, output }));
  });
}

const STORIES: TaskStory[] = [
  simpleStory('alpha', {}, 2),
  simpleStory('beta', { depends_on: ['alpha'] }),
  simpleStory('gamma', { assignee: 'grok-fast' }),
  simpleStory('delta', { assignee: 'gemini-pro' }, 3),
  {
    ...simpleStory('omega'),
    iterations: [{ files: [{ path: 'secrets/omega.txt', content: 'x\n' }], verdict: 'approve' }],
  },
];
const EXPECTED = { alpha: 'merged', beta: 'merged', gamma: 'merged', delta: 'merged', omega: 'rejected' };
const ITERATIONS: Record<string, number> = { alpha: 2, beta: 1, gamma: 1, delta: 3 };

async function records(root: string): Promise<Record<string, string>> {
  const dir = join(root, 'shared/runs');
  const states: Record<string, string> = {};
  for (const name of await readdir(dir).catch(() => [])) {
    if (!name.endsWith('.json')) continue;
    const record = RunRecordSchema.parse(JSON.parse(await readFile(join(dir, name), 'utf8')));
    states[record.task_id] = record.state;
  }
  return states;
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

async function trial(): Promise<{
  root: string;
  github: GitHubFixture;
  env: Record<string, string>;
  args: string[];
}> {
  const { root, replayDir } = await createSandboxRepo(STORIES);
  const github = await GitHubFixture.start({ seed: root, ci: () => 'success', mergeableAfterReads: 0 });
  cleanups.push(async () => {
    await github.stop();
    await rm(root, { recursive: true, force: true });
  });
  const env = githubEnv(github);
  return { root, github, env, args: ['run', '--once', '--forge', 'github', '--replay', replayDir] };
}

/** What GitHub holds after the runs: each pull request, review, commit and merge once. */
async function expectEachThingOnce(github: GitHubFixture, context: string): Promise<void> {
  // One pull request per proposed task, each merged; none for the rejected one.
  expect(github.pulls.map((pr) => [pr.head, pr.merged]).sort(), context).toEqual(
    Object.keys(ITERATIONS)
      .sort()
      .map((id) => [`aifactory/${id}`, true]),
  );
  for (const pr of github.pulls) {
    const id = pr.head.slice('aifactory/'.length);
    // One review per iteration, each of a different head.
    const reviewed = pr.reviews.map((review) => review.commitId);
    expect(reviewed, `${context}: reviews of ${id}`).toHaveLength(ITERATIONS[id]!);
    expect(new Set(reviewed).size, `${context}: reviews of ${id}`).toBe(reviewed.length);
    // One commit per iteration on the branch, none twice.
    const subjects = (await github.git.run(['log', '--format=%s', '--no-merges', pr.headSha])).stdout
      .toString()
      .split('\n');
    const commits = subjects.filter(
      (subject) => subject.startsWith(`${id}:`) || subject.startsWith(`${id} `),
    );
    expect(commits, `${context}: commits of ${id}`).toHaveLength(ITERATIONS[id]!);
    const bodies = pr.comments.map((comment) => comment.body);
    expect(new Set(bodies).size, `${context}: comments on ${id}`).toBe(bodies.length);
  }
  expect(await github.readFile('main', 'src/alpha.txt'), context).toBe('alpha v2\n');
  expect(await github.readFile('main', 'src/delta.txt'), context).toBe('delta v3\n');
  expect(github.invalid, context).toEqual([]);
}

describe('crash safety on the github forge', () => {
  it(
    `holds each pull request, review, commit and merge once after SIGKILL at random points (${TRIALS} seeded trials)`,
    async () => {
      const next = seededRandom(SEED);
      const calibration = await trial();
      const whole = await run(calibration.root, calibration.env, calibration.args);
      expect(whole.code, whole.output).toBe(0);
      expect(await records(calibration.root)).toEqual(EXPECTED);
      const progressLines = whole.output.split('\n').findIndex((line) => line.startsWith('Run finished'));
      expect(progressLines).toBeGreaterThan(10);
      let killedMidRun = 0;
      for (let index = 0; index < TRIALS; index += 1) {
        const killAt = { line: 1 + Math.floor(next() * progressLines), delayMs: Math.floor(next() * 40) };
        const context = `trial ${index} (seed ${SEED}, kill after line ${killAt.line} + ${killAt.delayMs} ms)`;
        const { root, github, env, args } = await trial();
        const killed = await run(root, env, args, killAt);
        if (killed.code === null && github.requests.some((request) => request.method !== 'GET'))
          killedMidRun += 1;
        let finished = await run(root, env, args);
        if (finished.code !== 0) finished = await run(root, env, args);
        expect(finished.code, `${context}\n${finished.output}`).toBe(0);
        expect(await records(root), `${context}\n${finished.output}`).toEqual(EXPECTED);

        await expectEachThingOnce(github, context);
      }
      // The seeded kills must land inside runs that had started writing to GitHub.
      expect(killedMidRun).toBeGreaterThanOrEqual(TRIALS / 2);
    },
    Math.max(600_000, TRIALS * 75_000),
  );

  it('stops on SIGINT after its step, commits its state, and a new job from a fresh clone finishes with nothing twice', async () => {
    const { root, github, env, args } = await trial();
    // As GitHub Actions cancels a job: SIGINT to the process, in the middle of the work.
    const stopped = await run(root, env, args, { line: 12, delayMs: 0, signal: 'SIGINT' });
    expect(stopped.code, stopped.output).toBe(0);
    expect(stopped.output).toContain('SIGINT: stopping after the current step');
    expect(stopped.output).toMatch(/State: \d+ files? committed to the default branch/);
    const published = await github.readFile('main', 'shared/runs/alpha.json');
    expect(published, 'the stopped run published its records').toBeDefined();
    // The next job starts from a fresh checkout of the default branch: only what was published.
    const clone = await mkdtemp(join(tmpdir(), 'aifactory-clone-'));
    cleanups.push(() => rm(clone, { recursive: true, force: true }));
    execFileSync('git', ['clone', '-q', github.git.dir, clone]);
    const finished = await run(clone, env, args);
    expect(finished.code, finished.output).toBe(0);
    expect(await records(clone), finished.output).toEqual(EXPECTED);
    await expectEachThingOnce(github, 'SIGINT, then a fresh clone');
  }, 120_000);
});
