// The after-run step that run, watch and merge-shards share: snapshots with the forge's CI state, then the state commit.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CiSchema, HistorySchema, SummarySchema } from '../../../scripts/core/status/snapshot-schema.ts';
import { finishRun } from '../../../scripts/engine/run/after-run.ts';
import { runFactory } from '../../../scripts/engine/run/factory.ts';
import { createForge } from '../../../scripts/forge/index.ts';
import { runGit } from '../../../scripts/forge/local/git.ts';
import type { Forge } from '../../../scripts/forge/types.ts';
import { runCli } from '../../fixtures/cli.ts';
import { GitHubFixture } from '../../fixtures/github/fixture.ts';
import { githubEnv, githubRunOptions } from '../../fixtures/github-env.ts';
import { MemoryForge } from '../../fixtures/memory-forge.ts';
import { createSandboxRepo, simpleStory } from '../../fixtures/sandbox-repo.ts';
import { silentProgress } from '../../fixtures/silent-progress.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A sandbox repository with one task per id, removed after the test. */
async function sandboxOf(ids: string[]) {
  const sandbox = await createSandboxRepo(ids.map((id) => simpleStory(id)));
  cleanups.push(() => rm(sandbox.root, { recursive: true, force: true }));
  return sandbox;
}

/** A sandbox and the GitHub fixture seeded from it, whose CI passes every head. */
async function setUp(ids: string[]) {
  const { root, replayDir } = await sandboxOf(ids);
  const github = await GitHubFixture.start({ seed: root, ci: () => 'success', mergeableAfterReads: 0 });
  cleanups.push(() => github.stop());
  return { root, github, replayDir };
}

const readStatus = async (dir: string, name: string) =>
  JSON.parse(await readFile(join(dir, 'shared/status', name), 'utf8')) as unknown;

/** Commits on GitHub's main, first-parent line, without the factory's state commits. */
async function countedOnMain(fixture: GitHubFixture): Promise<number> {
  const log = await fixture.git.run(['log', '--first-parent', '--format=%s', 'main']);
  const subjects = log.stdout.toString().split('\n').filter(Boolean);
  return subjects.filter((subject) => !subject.startsWith('aifactory: state after run')).length;
}

describe('watch --forge github', () => {
  it("writes GitHub's CI state and commit counts into shared/status/, then commits the state", async () => {
    const { root, github, replayDir } = await setUp(['watch-one']);
    const result = await runCli(['watch', '--forge', 'github', '--replay', replayDir, '--max-runs', '1'], {
      cwd: root,
      env: githubEnv(github),
      timeoutMs: 120_000,
    });
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(
      /^ {2}State: \d+ files committed to the default branch \([0-9a-f]{7}\)\.$/m,
    );
    expect(result.stdout).toContain('watch stopped.');
    const ci = CiSchema.parse(await readStatus(root, 'ci.json'));
    // The workflow run exists only on GitHub: the records alone never show it.
    const workflow = ci.runs.find((run) => run.name === 'CI');
    expect(workflow).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect(workflow?.url).toMatch(/\/actions\/runs\/\d+$/);
    const history = HistorySchema.parse(await readStatus(root, 'history.json'));
    const counted = [...history.days, ...history.weeks].reduce((sum, bucket) => sum + bucket.commits, 0);
    expect(counted).toBe(await countedOnMain(github));
    // The snapshots with GitHub's CI state are what reached the default branch.
    expect(await github.readFile('main', 'shared/status/ci.json')).toBe(
      await readFile(join(root, 'shared/status/ci.json'), 'utf8'),
    );
    expect(github.invalid).toEqual([]);
  });
});

describe('finishRun', () => {
  it("commits the state through the run's own forge even when its tasks spent the write budget", async () => {
    const { root, github, replayDir } = await setUp(['budget-one']);
    // Three writes take the branch (tree, commit, ref); opening the pull request is refused.
    const options = githubRunOptions(github, replayDir);
    const summary = await runFactory(
      root,
      { ...options, github: { ...options.github, writeBudget: 3 } },
      silentProgress,
    );
    expect(summary.records.get('budget-one')?.last_error?.message).toMatch(/write budget of 3/);
    const after = await finishRun(root, summary.forge, { touched: 1, snapshot: true, warn: () => undefined });
    expect(after.published).toMatchObject({ status: 'committed' });
    expect(await github.readFile('main', 'shared/runs/budget-one.json')).toBe(
      await readFile(join(root, 'shared/runs/budget-one.json'), 'utf8'),
    );
    expect(github.invalid).toEqual([]);
  });

  it('redacts the run’s secrets from what the forge warns about', async () => {
    const { root } = await sandboxOf(['quiet-one']);
    const token = 'ghs_leakedInAnErrorMessage0123456789'; // aifactory:allow-secret
    const forge: Forge = Object.assign(new MemoryForge(), {
      reports: {
        ciRuns: async () => ({ runs: [], warning: `GitHub answered 403 for ${token}` }),
        landedCommits: async () => [],
      },
    });
    const warnings: string[] = [];
    const after = await finishRun(root, forge, {
      touched: 0,
      snapshot: true,
      env: { GITHUB_TOKEN: token },
      warn: (message) => warnings.push(message),
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('GitHub answered 403');
    expect(warnings[0]).not.toContain(token);
    expect(after.snapshots?.written).toContain('ci.json');
  });

  it('writes no snapshot with --no-snapshot, and asks the forge nothing for one', async () => {
    const { root } = await sandboxOf(['quiet-two']);
    let asked = 0;
    const forge: Forge = Object.assign(new MemoryForge(), {
      reports: {
        ciRuns: async () => {
          asked += 1;
          return { runs: [] };
        },
        landedCommits: async () => {
          asked += 1;
          return [];
        },
      },
    });
    const after = await finishRun(root, forge, { touched: 0, snapshot: false, warn: () => undefined });
    expect(after).toEqual({ published: { status: 'skipped', reason: expect.any(String) } });
    expect(asked).toBe(0);
    await expect(readFile(join(root, 'shared/status/summary.json'))).rejects.toThrow(/ENOENT/);
  });

  it('leaves the state in the working tree, uncommitted, without a forge and with the local one', async () => {
    const { root } = await sandboxOf(['local-one']);
    const head = async () => (await runGit(root, ['rev-parse', 'main'])).stdout;
    const before = await head();
    const local = await createForge('local', { root, defaultBranch: 'main' });
    for (const forge of [undefined, local]) {
      const after = await finishRun(root, forge, { touched: 1, snapshot: true, warn: () => undefined });
      expect(after.published.status).toBe('skipped');
    }
    local.close();
    expect(await head()).toBe(before);
    expect(SummarySchema.parse(await readStatus(root, 'summary.json')).tasks_total).toBe(1);
  });
});
