import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type PullRecord, PullStore } from '../../../../scripts/forge/local/pull-store.ts';

let gitDir: string;

beforeEach(async () => {
  gitDir = await mkdtemp(join(tmpdir(), 'aifactory-pulls-'));
});

afterEach(async () => {
  await rm(gitDir, { recursive: true, force: true });
});

const record = (branch: string): PullRecord => ({
  number: 0,
  branch,
  title: branch,
  body: '',
  state: 'open',
  head: 'a'.repeat(40),
  merge_commit: null,
  labels: [],
  comments: [],
  reviews: [],
});

describe('pull store', () => {
  it('finds a pull request another process opened after this store last looked', async () => {
    const mine = new PullStore(gitDir);
    const theirs = new PullStore(gitDir);
    expect(await mine.findByBranch('aifactory/a')).toBeUndefined();
    await mine.create(record('aifactory/b'));
    const number = await theirs.create(record('aifactory/a'));
    expect((await mine.findByBranch('aifactory/a'))?.number).toBe(number);
  });

  it('finds every pull request when lookups of a fresh store run at once, as a resumed run does', async () => {
    const earlier = new PullStore(gitDir);
    const branches = Array.from({ length: 12 }, (_, index) => `aifactory/t${index}`);
    for (const branch of branches) await earlier.create(record(branch));
    const resumed = new PullStore(gitDir);
    // Each lookup starts a little after the one before: a record another lookup read meanwhile
    // is not read again, and must still be found.
    const lookups: Promise<PullRecord | undefined>[] = [];
    for (const branch of branches) {
      lookups.push(resumed.findByBranch(branch));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const found = await Promise.all(lookups);
    expect(found.map((pr) => pr?.branch)).toEqual(branches);
  });

  it('reads each record for its branch once, not once per lookup of a new branch', async () => {
    const store = new PullStore(gitDir);
    for (const name of ['a', 'b', 'c']) await store.create(record(`aifactory/${name}`));
    const fresh = new PullStore(gitDir);
    const read = vi.spyOn(fresh, 'read');
    for (const name of ['x', 'y', 'z']) expect(await fresh.findByBranch(`aifactory/${name}`)).toBeUndefined();
    expect(read).toHaveBeenCalledTimes(3);
  });

  it('looks again when a known record is gone, and answers with the first number of a branch', async () => {
    const store = new PullStore(gitDir);
    const first = await store.create(record('aifactory/a'));
    expect((await store.findByBranch('aifactory/a'))?.number).toBe(first);
    await rm(join(gitDir, 'aifactory', 'pulls', `${first}.json`));
    expect(await store.findByBranch('aifactory/a')).toBeUndefined();
    const second = await store.create(record('aifactory/a'));
    const third = await new PullStore(gitDir).create(record('aifactory/a'));
    expect(third).toBeGreaterThan(second);
    const fresh = new PullStore(gitDir);
    expect((await fresh.findByBranch('aifactory/a'))?.number).toBe(second);
    expect(
      JSON.parse(await readFile(join(gitDir, 'aifactory', 'pulls', `${second}.json`), 'utf8')).number,
    ).toBe(second);
  });
});
