import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FactoryError } from '../../../../scripts/core/errors.ts';
import { writeSnapshots } from '../../../../scripts/engine/report/snapshot-writer.ts';
import { commitState, describePublish } from '../../../../scripts/engine/report/state-publisher.ts';
import { finishRun } from '../../../../scripts/engine/run/after-run.ts';
import { runFactory } from '../../../../scripts/engine/run/factory.ts';
import { createForge } from '../../../../scripts/forge/index.ts';
import type { Forge } from '../../../../scripts/forge/types.ts';
import { GitHubFixture } from '../../../fixtures/github/fixture.ts';
import { githubRunOptions } from '../../../fixtures/github-env.ts';
import { createSandboxRepo, simpleStory } from '../../../fixtures/sandbox-repo.ts';
import { silentProgress } from '../../../fixtures/silent-progress.ts';

let github: GitHubFixture | undefined;
let root: string | undefined;

afterEach(async () => {
  await github?.stop();
  if (root) await rm(root, { recursive: true, force: true });
  github = undefined;
  root = undefined;
});

/** A github run as `aifactory run --forge github` does it: run, then the after-run step. */
async function setUp(settings?: Record<string, unknown>) {
  const sandbox = await createSandboxRepo([simpleStory('gh-one'), simpleStory('gh-two')]);
  root = sandbox.root;
  github = await GitHubFixture.start({
    seed: root,
    ci: () => 'success',
    mergeableAfterReads: 0,
    ...(settings ? { settings } : {}),
  });
  const options = githubRunOptions(github, sandbox.replayDir);
  const run = async () => {
    const summary = await runFactory(root!, options, silentProgress);
    const after = await finishRun(root!, summary.forge, {
      touched: summary.records.size,
      snapshot: true,
      warn: () => undefined,
    });
    return { summary, published: after.published };
  };
  return { github, root, options, run };
}

async function commitsOnMain(fixture: GitHubFixture): Promise<string[]> {
  const out = (await fixture.git.run(['rev-list', 'refs/heads/main'])).stdout.toString();
  return out.split('\n').filter(Boolean);
}

describe('a github run publishes its state to the default branch', () => {
  it('as one factory commit holding the clone’s records and snapshots; a rerun with nothing pending commits nothing', async () => {
    const { github, root, options, run } = await setUp();
    const before = await commitsOnMain(github);
    const summary = await runFactory(root, options, silentProgress);
    await writeSnapshots(root);
    const writeOperations = ['git/create-tree', 'git/create-commit', 'git/update-ref', 'git/create-blob'];
    const writesSoFar = () =>
      writeOperations.map((operation) => github.calls(operation).filter((call) => call.status < 300).length);
    const beforeState = writesSoFar();
    const { published } = await finishRun(root, summary.forge, {
      touched: summary.records.size,
      snapshot: false,
      warn: () => undefined,
    });
    // The state commit is one tree, one commit and one ref update (blobs travel inside the tree).
    expect(writesSoFar().map((count, index) => count - beforeState[index]!)).toEqual([1, 1, 1, 0]);
    expect([...summary.records.values()].map((record) => record.state)).toEqual(['merged', 'merged']);
    expect(published.status).toBe('committed');
    const after = await commitsOnMain(github);
    // Two merges, then exactly one state commit on top: the only commit of the factory's own.
    const tip = await github.git.readCommit(after[0]!);
    const added = after.slice(0, after.length - before.length);
    const messages = await Promise.all(added.map(async (sha) => (await github.git.readCommit(sha))!.message));
    expect(messages.filter((message) => message.startsWith('aifactory: state'))).toHaveLength(1);
    const firstParent = (
      await github.git.run(['rev-list', '--first-parent', `${before[0]}..refs/heads/main`])
    ).stdout
      .toString()
      .split('\n')
      .filter(Boolean);
    expect(firstParent).toHaveLength(3);
    expect(tip?.message).toBe('aifactory: state after run (2 tasks touched)\n');
    expect(tip?.author.name).toBe('AI Factory OS');
    expect(tip?.committer.name).toBe('AI Factory OS');
    expect(tip?.author.email).toBe(tip?.committer.email);
    const changed = (await github.git.diff(tip!.parents[0]!, tip!.sha)).map((file) => file.path);
    expect(changed).toEqual(expect.arrayContaining(['shared/runs/gh-one.json', 'shared/runs/gh-two.json']));
    expect(changed.every((path) => /^shared\/(runs|status|budget)\//.test(path))).toBe(true);
    for (const path of ['shared/runs/gh-one.json', 'shared/runs/gh-two.json', 'shared/status/summary.json']) {
      expect(await github.readFile('main', path)).toBe(await readFile(join(root, path), 'utf8'));
    }
    const writes = writesSoFar();

    const rerun = await run();
    expect(rerun.published.status).toBe('unchanged');
    expect(await commitsOnMain(github)).toEqual(after);
    expect(writesSoFar()).toEqual(writes);
    expect(github.invalid).toEqual([]);
  });

  it('sends only the files that differ, and sends nothing when none do', async () => {
    const { github, root, options, run } = await setUp();
    await run();
    const forge = await createForge('github', {
      root,
      defaultBranch: 'main',
      env: options.env,
      github: options.github,
    });
    const commits = github.calls('git/create-commit').length;
    expect(await commitState(root, forge, { touched: 0 })).toEqual({ status: 'unchanged' });
    expect(github.calls('git/create-commit').length).toBe(commits);
    expect(github.invalid).toEqual([]);
  });

  it('lets the latest workflow runs ride along with a commit, never make one', async () => {
    const { github, root, options, run } = await setUp();
    await run();
    const forge = await createForge('github', {
      root,
      defaultBranch: 'main',
      env: options.env,
      github: options.github,
    });
    const ci = join(root, 'shared/status/ci.json');
    const before = JSON.parse(await readFile(ci, 'utf8'));
    const newer = {
      ...before,
      runs: [{ ...before.runs[0], started_at: '2099-01-01T00:00:00Z' }, ...before.runs.slice(1)],
    };
    await writeFile(ci, `${JSON.stringify(newer, null, 2)}\n`);
    const commits = github.calls('git/create-commit').length;
    expect(await commitState(root, forge, { touched: 0 })).toEqual({ status: 'unchanged' });
    expect(github.calls('git/create-commit').length).toBe(commits);
    // With a record that changed, ci.json goes along in the same commit.
    const record = join(root, 'shared/runs/gh-one.json');
    await writeFile(record, (await readFile(record, 'utf8')).replace('"version": 1', '"version":  1'));
    const outcome = await commitState(root, forge, { touched: 1 });
    expect(outcome).toMatchObject({
      status: 'committed',
      paths: ['shared/runs/gh-one.json', 'shared/status/ci.json'],
    });
    expect(github.invalid).toEqual([]);
  });

  it('does nothing with the local forge', async () => {
    const after = await finishRun('/nonexistent', undefined, {
      touched: 1,
      snapshot: false,
      warn: () => undefined,
    });
    expect(after.published).toMatchObject({ status: 'skipped' });
    expect(describePublish({ status: 'skipped', reason: 'x' })).toBeUndefined();
  });

  it('warns, without throwing, when the default branch refuses the commit', async () => {
    const { github, root, options } = await setUp();
    await runFactory(root, options, silentProgress);
    await writeSnapshots(root);
    const real = await createForge('github', {
      root,
      defaultBranch: 'main',
      env: options.env,
      github: options.github,
    });
    // What git-data.ts throws when GitHub answers a ref update on a protected branch.
    const refused = new FactoryError(
      'forge',
      "GitHub refused to move main: it is a protected branch (Protected branch update failed for refs/heads/main.); allow the factory's identity to push to it, or let the factory merge through pull requests only",
    );
    const forge: Forge = { ...bind(real), commitToDefaultBranch: () => Promise.reject(refused) };
    const outcome = await commitState(root, forge, { touched: 2 });
    expect(outcome).toEqual({ status: 'refused', message: refused.message });
    expect(describePublish(outcome)).toMatch(
      /^Warning: .*not committed to the default branch: GitHub refused to move main: it is a protected branch.*commit those folders yourself/,
    );
    expect(github.invalid).toEqual([]);
  });

  it('calls an outage an outage, with no advice about branch protection', async () => {
    const { root } = await setUp();
    await writeSnapshots(root);
    const down = new FactoryError(
      'network',
      'reading repository o/r: could not reach GitHub at http://127.0.0.1:1 (connect ECONNREFUSED)',
    );
    const forge = { readFile: () => Promise.reject(down) } as unknown as Forge;
    const outcome = await commitState(root, forge, { touched: 1 });
    expect(outcome).toEqual({ status: 'outage', message: down.message });
    const line = describePublish(outcome);
    expect(line).toContain('could not reach GitHub at http://127.0.0.1:1');
    expect(line).toContain('A transient outage: the next run commits it.');
    expect(line).not.toContain('branch protection');
  });
});

/** The forge's methods bound to it, so a test can replace one. */
function bind(forge: Forge): Forge {
  const bound: Record<string, unknown> = {};
  let proto: object | null = forge;
  while (proto && proto !== Object.prototype) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const value = (forge as unknown as Record<string, unknown>)[name];
      if (name !== 'constructor' && typeof value === 'function' && !(name in bound))
        bound[name] = (value as (...args: unknown[]) => unknown).bind(forge);
    }
    proto = Object.getPrototypeOf(proto);
  }
  if (forge.reports) bound.reports = forge.reports;
  return bound as unknown as Forge;
}
