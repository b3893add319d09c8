import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomically } from '../../../scripts/io/atomic-write.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aifactory-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('atomic writes', () => {
  it('make the folders on the way, and write nothing when the bytes are there already', async () => {
    const path = join(dir, 'a/b/c.json');
    expect(await writeFileAtomically(path, 'one\n')).toBe(true);
    expect(await writeFileAtomically(path, 'one\n')).toBe(false);
    expect(await writeFileAtomically(path, 'two\n')).toBe(true);
    expect(await readFile(path, 'utf8')).toBe('two\n');
    expect(await readdir(join(dir, 'a/b'))).toEqual(['c.json']);
  });

  it('write without reading first when the caller says the content is new, folders and all', async () => {
    const path = join(dir, 'new/d/e.json');
    expect(await writeFileAtomically(path, 'one\n', { compare: false })).toBe(true);
    const before = (await stat(path)).ino;
    // Not compared: the same bytes go through a new file and a rename again.
    expect(await writeFileAtomically(path, 'one\n', { compare: false })).toBe(true);
    expect((await stat(path)).ino).not.toBe(before);
    expect(await readFile(path, 'utf8')).toBe('one\n');
    expect(await readdir(join(dir, 'new/d'))).toEqual(['e.json']);
  });

  it('make a folder again when it was removed after a first write into it', async () => {
    const first = join(dir, 'runs/a.json');
    await writeFileAtomically(first, 'a\n');
    await rm(join(dir, 'runs'), { recursive: true });
    const second = join(dir, 'runs/b.json');
    expect(await writeFileAtomically(second, 'b\n')).toBe(true);
    expect(await readFile(second, 'utf8')).toBe('b\n');
  });
});
