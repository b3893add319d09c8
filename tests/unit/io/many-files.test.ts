import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sweepStaleTemps } from '../../../scripts/io/atomic-write.ts';
import { mapFiles, writeChangedFiles } from '../../../scripts/io/many-files.ts';
import { REPO_ROOT } from '../../fixtures/cli.ts';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const filesOf = (root: string, count: number, text: (index: number) => string) =>
  Array.from({ length: count }, (_, index) => [join(root, 'sub', `f${index}.json`), text(index)] as const);

describe('mapFiles', () => {
  it('gives each file its text, or why it could not be read, in order, across slices', async () => {
    dir = await mkdtemp(join(tmpdir(), 'aifactory-many-'));
    const paths = Array.from({ length: 600 }, (_, index) => join(dir!, `f${index}`));
    await Promise.all(paths.slice(1).map((path, index) => writeFile(path, `text ${index + 1}`)));
    const reads = await mapFiles(paths, (read, index) =>
      'text' in read ? read.text : `${index}: ${read.error.code}`,
    );
    expect(reads[0]).toBe('0: ENOENT');
    expect(reads.slice(1)).toEqual(paths.slice(1).map((_, index) => `text ${index + 1}`));
  });
});

describe('writeChangedFiles', () => {
  it('writes new and changed files, creating their folder, and nothing when the bytes are there', async () => {
    dir = await mkdtemp(join(tmpdir(), 'aifactory-many-'));
    const first = filesOf(dir, 300, (index) => `old ${index}\n`);
    expect(await writeChangedFiles(first)).toEqual(first.map(() => true));
    const before = await stat(first[0]![0]);
    expect(await writeChangedFiles(first)).toEqual(first.map(() => false));
    expect((await stat(first[0]![0])).mtimeMs).toBe(before.mtimeMs);
    const second = filesOf(dir, 300, (index) => (index === 7 ? 'new 7\n' : `old ${index}\n`));
    expect((await writeChangedFiles(second)).flatMap((changed, index) => (changed ? [index] : []))).toEqual([
      7,
    ]);
    expect(await readFile(second[7]![0], 'utf8')).toBe('new 7\n');
    expect((await readdir(join(dir, 'sub'))).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('takes its entries one at a time, so they can be made as they are written', async () => {
    dir = await mkdtemp(join(tmpdir(), 'aifactory-many-'));
    const made: number[] = [];
    const entries = function* () {
      for (let index = 0; index < 3; index += 1) {
        made.push(index);
        yield [join(dir!, `f${index}`), `${index}`] as const;
      }
    };
    expect(await writeChangedFiles(entries())).toEqual([true, true, true]);
    expect(made).toEqual([0, 1, 2]);
  });

  it('leaves no temporary file behind when a write fails', async () => {
    dir = await mkdtemp(join(tmpdir(), 'aifactory-many-'));
    // A folder where the file should be: the rename fails after the temporary file was written.
    await writeChangedFiles([[join(dir, 'taken', 'inner'), 'x']]);
    await expect(writeChangedFiles([[join(dir, 'taken'), 'y']])).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['taken']);
  });

  it('leaves every file old or new, never half written, when the process is killed mid-batch', async () => {
    dir = await mkdtemp(join(tmpdir(), 'aifactory-many-'));
    const count = 400;
    const old = (index: number) => `${`old ${index} `.repeat(3000)}\n`;
    const fresh = (index: number) => `${`new ${index} `.repeat(3000)}\n`;
    await writeChangedFiles(filesOf(dir, count, old));
    const script = [
      `import { writeChangedFiles } from ${JSON.stringify(join(REPO_ROOT, 'scripts/io/many-files.ts'))};`,
      `import { join } from 'node:path';`,
      `const entries = Array.from({ length: ${count} }, (_, i) => [join(${JSON.stringify(dir)}, 'sub', 'f' + i + '.json'), ('new ' + i + ' ').repeat(3000) + '\\n']);`,
      `console.log('start');`,
      'await writeChangedFiles(entries);',
    ].join('\n');
    const loader = new URL('../../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
    const child = spawn(process.execPath, ['--import', loader, '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 15));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('close', resolve));
    const texts = await mapFiles(
      filesOf(dir, count, old).map(([path]) => path),
      (read) => ('text' in read ? read.text : ''),
    );
    texts.forEach((text, index) => {
      expect([old(index), fresh(index)]).toContain(text);
    });
    await sweepStaleTemps(dir);
    expect((await readdir(join(dir, 'sub'))).filter((name) => !name.endsWith('.json'))).toEqual([]);
  });
});
