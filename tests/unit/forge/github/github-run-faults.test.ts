// Whole runs on the github forge through GitHub's faults: each pauses the task, the run ends with its summary.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeJobSummary } from '../../../../scripts/commands/shared/job-summary.ts';
import { finishRun } from '../../../../scripts/engine/run/after-run.ts';
import { runFactory } from '../../../../scripts/engine/run/factory.ts';
import { forgetWriteStop } from '../../../../scripts/forge/github/write-stop.ts';
import type { Forge } from '../../../../scripts/forge/types.ts';
import { GitHubFixture, type GitHubFixtureOptions } from '../../../fixtures/github/fixture.ts';
import { githubRunOptions } from '../../../fixtures/github-env.ts';
import { createSandboxRepo, simpleStory, type TaskStory } from '../../../fixtures/sandbox-repo.ts';
import { silentProgress } from '../../../fixtures/silent-progress.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function setUp(stories: TaskStory[], fixture: GitHubFixtureOptions = {}) {
  const sandbox = await createSandboxRepo(stories);
  const github = await GitHubFixture.start({
    seed: sandbox.root,
    ci: () => 'success',
    mergeableAfterReads: 0,
    ...fixture,
  });
  cleanups.push(async () => {
    forgetWriteStop(github.url);
    await github.stop();
    await rm(sandbox.root, { recursive: true, force: true });
  });
  const options = githubRunOptions(github, sandbox.replayDir);
  const { env } = options;
  let forge: Forge | undefined;
  const run = async () => {
    const summary = await runFactory(sandbox.root, options, silentProgress);
    forge = summary.forge;
    return Object.fromEntries([...summary.records].map(([id, record]) => [id, record]));
  };
  /** The after-run step of the last run, through its forge, as `run` does it. */
  const finish = () => finishRun(sandbox.root, forge, { touched: 3, snapshot: false, warn: () => undefined });
  return { github, root: sandbox.root, env, options, run, finish };
}

describe('the factory on the github forge, when GitHub errs', () => {
  it('pauses a task whose branch update GitHub answers 409 twice, and merges it in the next run', async () => {
    const { github, run } = await setUp([simpleStory('race', {}, 2)]);
    // The second iteration moves the branch: both tries meet a 409.
    github.inject({ kind: 'conflict' }, { operationId: 'git/update-ref', times: 2 });
    const first = await run();
    expect(first.race?.state).toBe('running');
    expect(first.race?.last_error?.class).toBe('race');
    expect(github.calls('git/update-ref').map((call) => call.status)).toEqual([409, 409]);
    expect((await run()).race?.state).toBe('merged');
    expect(await github.readFile('main', 'src/race.txt')).toBe('race v2\n');
    expect(github.invalid).toEqual([]);
  });

  it('finds a pull request GitHub does not list yet a moment after opening it', async () => {
    const { github, run } = await setUp([simpleStory('lag')], { stalePullLists: 2 });
    const records = await run();
    expect(records.lag?.state, JSON.stringify(records.lag?.last_error)).toBe('merged');
    expect(github.pulls).toHaveLength(1);
    expect(github.invalid).toEqual([]);
  });

  it('pauses the review on a 5xx HTML page while reading the change, and reviews in the next run', async () => {
    const { github, run } = await setUp([simpleStory('page')]);
    github.inject(
      { kind: 'server-error', status: 502, html: true },
      { operationId: 'pulls/list-files', times: 4 },
    );
    const first = (await run()).page;
    expect(first?.state).toBe('reviewing');
    expect(first?.last_error?.class).toBe('server');
    expect(first?.last_error?.message).toContain('an HTML page, "Bad Gateway · GitHub"');
    expect(first?.last_error?.message).not.toContain('<');
    expect(first?.attempts.map((attempt) => attempt.kind)).toEqual(['code']);
    expect((await run()).page?.state).toBe('merged');
    expect(github.invalid).toEqual([]);
  });

  it('makes no write after a secondary limit longer than the run waits, and says when writing may start', async () => {
    const { github, root, env, options, run, finish } = await setUp([
      simpleStory('one'),
      simpleStory('two'),
      simpleStory('three'),
    ]);
    github.inject({ kind: 'secondary-rate-limit', retryAfter: 3600 }, { operationId: 'pulls/create' });
    const began = Date.now();
    const records = await run();
    const limited = github.requests.findIndex((request) => request.fault === 'secondary-rate-limit');
    expect(limited).toBeGreaterThan(0);
    // The state commit at the end of the run is a write too.
    expect((await finish()).published.status).toBe('refused');
    expect(github.requests.slice(limited + 1).filter((request) => request.method !== 'GET')).toEqual([]);
    for (const id of ['one', 'two', 'three']) {
      expect(records[id]?.state).not.toBe('failed');
    }
    expect(Object.values(records).some((record) => record.last_error?.class === 'rate_limit')).toBe(true);
    const dir = await mkdtemp(join(tmpdir(), 'aifactory-summary-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'summary.md');
    const summary = await runFactory(root, options, silentProgress);
    await writeJobSummary(root, {
      title: 'aifactory run',
      summary,
      startedAt: new Date(began),
      forge: 'github',
      env: { ...env, GITHUB_STEP_SUMMARY: file },
    });
    const until = /\| GitHub writes stopped until \| (\S+) /.exec(await readFile(file, 'utf8'))?.[1];
    expect(Date.parse(until ?? '') - began).toBeGreaterThanOrEqual(3_599_000);
    expect(github.requests.slice(limited + 1).filter((request) => request.method !== 'GET')).toEqual([]);
    expect(github.invalid).toEqual([]);
  });

  it('holds for a person a change GitHub can neither list nor show as a whole tree', async () => {
    const { github, run } = await setUp([simpleStory('huge')], { treeEntryLimit: 1000 });
    // Someone's 3,001 files already on the task's branch: the coder's commit goes on top.
    const many = Array.from({ length: 3001 }, (_, index) => [
      `src/many/f${String(index).padStart(4, '0')}.txt`,
      'x\n',
    ]);
    await github.push('aifactory/huge', Object.fromEntries(many));
    const record = (await run()).huge;
    expect(record?.state).toBe('needs_human');
    expect(record?.last_error?.class).toBe('control_plane');
    expect(record?.last_error?.message).toContain('a person reviews and merges it');
    expect(github.pulls.map((pr) => pr.merged)).toEqual([false]);
    expect(github.invalid).toEqual([]);
  });
});
