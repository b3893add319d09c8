import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runFactory } from '../../../../scripts/engine/run/factory.ts';
import { createLocalForge } from '../../../../scripts/forge/local/forge.ts';
import { RefUpdates } from '../../../../scripts/forge/local/locks.ts';
import { createSandboxRepo, simpleStory } from '../../../fixtures/sandbox-repo.ts';
import { silentProgress } from '../../../fixtures/silent-progress.ts';

/** Every git process the factory starts, by its arguments: here, or through the spawn helper. */
const spawned: string[][] = [];

vi.mock('node:child_process', async (original) => {
  const real = await original<typeof import('node:child_process')>();
  return {
    ...real,
    spawn: ((command: string, args: readonly string[], options: object) => {
      if (command === 'git') spawned.push([...args]);
      return real.spawn(command, args, options);
    }) as typeof real.spawn,
  };
});

vi.mock('../../../../scripts/io/spawner.ts', async (original) => {
  const real = await original<typeof import('../../../../scripts/io/spawner.ts')>();
  return {
    ...real,
    collect: ((command, args, options) => {
      if (command === 'git') spawned.push([...args]);
      return real.collect(command, args, options);
    }) as typeof real.collect,
  };
});

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

/** Git processes of one `run --once` over `tasks` one-iteration tasks, with the local forge. */
async function spawnsFor(tasks: number): Promise<string[][]> {
  const { root, replayDir } = await createSandboxRepo(
    Array.from({ length: tasks }, (_, index) => simpleStory(`t${index + 1}`)),
  );
  roots.push(root);
  spawned.length = 0;
  const summary = await runFactory(root, { forge: 'local', replayDir, concurrency: 1 }, silentProgress);
  expect([...summary.records.values()].map((record) => record.state)).toEqual(
    Array.from({ length: tasks }, () => 'merged'),
  );
  return [...spawned];
}

describe('git processes per task iteration in the local forge', () => {
  it('stays at or under 2 for each further task of a run', async () => {
    const one = await spawnsFor(1);
    const five = await spawnsFor(5);
    const perTask = (five.length - one.length) / 4;
    const byCommand = (list: string[][]) =>
      Object.entries(
        list.reduce<Record<string, number>>((counts, args) => {
          counts[args[0]!] = (counts[args[0]!] ?? 0) + 1;
          return counts;
        }, {}),
      ).sort();
    expect(
      perTask,
      `run of 1 task: ${one.length} (${JSON.stringify(byCommand(one))}), of 5 tasks: ${five.length} (${JSON.stringify(byCommand(five))})`,
    ).toBeLessThanOrEqual(2);
    // Counted at all: a move of the checked-out default branch brings it along with git itself,
    // once per merge, or once for merges that come in together.
    const moves = five.filter((args) => args[0] === 'read-tree').length;
    expect(moves).toBeGreaterThanOrEqual(1);
    expect(moves).toBeLessThanOrEqual(5);
  });
});

describe('a pull request read while a merge moves the default branch', () => {
  it('lists its files from what the forge knows, without asking git', async () => {
    const { root } = await createSandboxRepo([]);
    roots.push(root);
    const forge = await createLocalForge({ root, defaultBranch: 'main' });
    const who = { name: 'gpt', email: 'gpt@agents.invalid' };
    const open = async (name: string) => {
      await forge.pushIteration({
        branch: `aifactory/${name}`,
        changes: [{ path: `src/${name}.txt`, content: `${name}\n` }],
        message: name,
        author: who,
        trailers: {},
      });
      return forge.openPullRequest({ branch: `aifactory/${name}`, title: name, body: '' });
    };
    const a = await open('a');
    const b = await open('b');
    // The window: main has moved on disk, and the merge has not yet heard so.
    const move = RefUpdates.prototype.move;
    let inWindow: { files: unknown; gitCalls: string[][] } | undefined;
    const spy = vi.spyOn(RefUpdates.prototype, 'move').mockImplementation(async function (
      this: RefUpdates,
      ref,
      to,
      from,
    ) {
      await move.call(this, ref, to, from);
      if (ref !== 'refs/heads/main') return;
      const before = spawned.length;
      const files = await forge.changedFiles(b);
      inWindow = { files, gitCalls: spawned.slice(before) };
    });
    try {
      expect(await forge.merge(a, { message: 'Merge a', head: a.head })).toMatchObject({ kind: 'merged' });
    } finally {
      spy.mockRestore();
      forge.close();
    }
    expect(inWindow).toEqual({ files: [{ path: 'src/b.txt', status: 'added' }], gitCalls: [] });
  });
});
