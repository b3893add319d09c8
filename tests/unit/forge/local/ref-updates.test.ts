import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RefUpdates } from '../../../../scripts/forge/local/locks.ts';
import { createSandboxRepo, git } from '../../../fixtures/sandbox-repo.ts';

let root: string;
let refs: RefUpdates;
const ZERO = '0'.repeat(40);

beforeEach(async () => {
  ({ root } = await createSandboxRepo([]));
  refs = new RefUpdates(root, { gitDir: join(root, '.git'), commonDir: join(root, '.git') });
});
afterEach(async () => {
  refs.close();
  await rm(root, { recursive: true, force: true });
});

describe('ref updates through one git process', () => {
  it('creates a ref only where none is, and moves one only from the value it holds', async () => {
    const main = git(root, 'rev-parse', 'main');
    const first = git(root, 'commit-tree', '-p', main, '-m', 'one', `${main}^{tree}`);
    await refs.move('refs/heads/task', main, ZERO);
    await expect(refs.move('refs/heads/task', first, ZERO)).rejects.toThrow(
      /reference already exists|cannot lock ref/,
    );
    await expect(refs.move('refs/heads/task', first, first)).rejects.toThrow(/is at .* but expected/);
    // A failed transaction ends git; the next move starts it again.
    await refs.move('refs/heads/task', first, main);
    expect(git(root, 'rev-parse', 'refs/heads/task')).toBe(first);
    expect(git(root, 'reflog', 'show', '--format=%H', 'refs/heads/task').split('\n')).toEqual([first, main]);
  });

  it('keeps concurrent moves apart, and refuses a name that would smuggle in a second command', async () => {
    const main = git(root, 'rev-parse', 'main');
    await Promise.all(
      Array.from({ length: 10 }, (_, index) => refs.move(`refs/heads/t${index}`, main, ZERO)),
    );
    expect(git(root, 'for-each-ref', '--format=%(refname)', 'refs/heads/t*').split('\n')).toHaveLength(10);
    await expect(refs.move(`refs/heads/x\0update refs/heads/main`, main, ZERO)).rejects.toThrow(
      'cannot be a ref',
    );
    expect(git(root, 'rev-parse', 'main')).toBe(main);
  });
});
