import { spawn } from 'node:child_process';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { RunRecordSchema } from '../../scripts/core/record/run-record.ts';
import { REPO_ROOT } from '../fixtures/cli.ts';
import { createSandboxRepo, git, simpleStory, type TaskStory } from '../fixtures/sandbox-repo.ts';
import { chaosTrials, seededRandom } from '../fixtures/seeded-random.ts';

const { seed: SEED, trials: TRIALS } = chaosTrials({ seed: 20261125, trials: 20 });
const LOADER = pathToFileURL(join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const CLI = join(REPO_ROOT, 'scripts/cli.ts');

/**
 * Runs the CLI in its own process group. With `killAt`, the whole group gets SIGKILL once the run
 * has printed that many progress lines, plus a few milliseconds, so kills land between and inside
 * steps whatever the machine's speed.
 */
function run(
  root: string,
  args: string[],
  killAt?: { line: number; delayMs: number },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', LOADER, CLI, ...args], {
      cwd: root,
      detached: true,
      env: { ...process.env, CI: 'true', GITHUB_ACTIONS: undefined, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let armed = killAt !== undefined;
    const kill = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Already gone: the run finished before the kill.
      }
    };
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (armed && output.split('\n').length - 1 >= killAt!.line) {
        armed = false;
        setTimeout(kill, killAt!.delayMs);
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
    iterations: [{ files: [{ path: 'src/elsewhere.txt', content: 'x\n' }], verdict: 'approve' }],
  },
];
const EXPECTED: Record<string, string> = {
  alpha: 'merged',
  beta: 'merged',
  gamma: 'merged',
  delta: 'merged',
  omega: 'rejected',
};

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

describe('crash safety', () => {
  it(
    `ends every task in its correct state after SIGKILL at random points (${TRIALS} seeded trials)`,
    async () => {
      const next = seededRandom(SEED);
      let killedMidRun = 0;
      // Calibrate: how many progress lines one whole run prints.
      const calibration = await createSandboxRepo(STORIES);
      roots.push(calibration.root);
      const whole = await run(calibration.root, ['run', '--once', '--replay', calibration.replayDir]);
      // Progress lines printed before the run's summary: the span the kills are spread over.
      const progressLines = whole.output.split('\n').findIndex((line) => line.startsWith('Run finished'));
      expect(progressLines).toBeGreaterThan(10);
      for (let trial = 0; trial < TRIALS; trial += 1) {
        const killAt = { line: 1 + Math.floor(next() * progressLines), delayMs: Math.floor(next() * 40) };
        const context = `trial ${trial} (seed ${SEED}, kill after line ${killAt.line} + ${killAt.delayMs} ms)`;
        const { root, replayDir } = await createSandboxRepo(STORIES);
        roots.push(root);
        const args = ['run', '--once', '--replay', replayDir];
        const killed = await run(root, args, killAt);
        // Killed by the signal (no exit code) after it had started recording work.
        const recorded = (await filesUnder(join(root, 'shared/runs'))).length;
        if (killed.code === null && recorded > 0) killedMidRun += 1;
        let finished = await run(root, args);
        if (finished.code !== 0) finished = await run(root, args);
        expect(finished.code, `${context}\n${finished.output}`).toBe(0);

        const states: Record<string, string> = {};
        const errors: string[] = [];
        for (const file of await filesUnder(join(root, 'shared/runs'))) {
          // A half-written file would not parse: every record must be whole.
          const record = RunRecordSchema.parse(JSON.parse(await readFile(file, 'utf8')));
          states[record.task_id] = record.state;
          if (record.last_error)
            errors.push(`${record.task_id}: ${record.last_error.class}: ${record.last_error.message}`);
        }
        expect(states, `${context}\n${errors.join('\n')}`).toEqual(EXPECTED);
        for (const file of await filesUnder(join(root, 'shared'))) {
          expect(file.endsWith('.json'), `${context}: stray file ${file}`).toBe(true);
          JSON.parse(await readFile(file, 'utf8'));
        }
        // One branch per proposed task, one pull request per branch, one commit per iteration.
        const branches = git(
          root,
          'for-each-ref',
          '--format=%(refname:short)',
          'refs/heads/aifactory/',
        ).split('\n');
        expect(branches.sort(), context).toEqual([
          'aifactory/alpha',
          'aifactory/beta',
          'aifactory/delta',
          'aifactory/gamma',
        ]);
        const pulls = (await readdir(join(root, '.git/aifactory/pulls'))).filter((name) =>
          /^\d+\.json$/.test(name),
        );
        expect(pulls.length, context).toBe(4);
        expect(git(root, 'rev-list', '--count', 'main..aifactory/delta'), context).toBe('0');
        expect(
          git(root, 'log', '--format=%s', '--no-merges', 'aifactory/delta')
            .split('\n')
            .filter((s) => s.startsWith('delta')),
          context,
        ).toHaveLength(3);
        // The merged main holds exactly the approved content.
        expect(git(root, 'show', 'main:src/alpha.txt'), context).toBe('alpha v2');
        expect(git(root, 'show', 'main:src/delta.txt'), context).toBe('delta v3');
        expect(git(root, 'ls-tree', '--name-only', 'main', 'src/').split('\n').sort(), context).toEqual([
          'src/alpha.txt',
          'src/beta.txt',
          'src/delta.txt',
          'src/gamma.txt',
        ]);
        expect(git(root, 'status', '--porcelain', '--', 'src'), context).toBe('');
      }
      // The seeded delays must actually land inside runs, or the test proves nothing.
      expect(killedMidRun).toBeGreaterThanOrEqual(TRIALS / 2);
    },
    Math.max(600_000, TRIALS * 30_000),
  );
});
