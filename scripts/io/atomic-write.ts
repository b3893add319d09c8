// Atomic file writes: a temporary file, fsync and rename, unchanged bytes left alone, stale temporaries swept.
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { stableStringify } from '../core/stable-json.ts';
import { isAlive } from './process.ts';

/** Temporary files are named `.<file>.<pid>.<n>.tmp`, so a sweep knows whose they are. */
const TEMP = /^\..+\.(\d+)\.\d+\.tmp$/;
let counter = 0;
/** Folders this process made or wrote into. */
const FOLDERS = new Set<string>();

/** A temporary file beside `path`, named so that `sweepStaleTemps` knows whose it is. */
export function temporaryPathOf(path: string): string {
  counter += 1;
  return join(dirname(path), `.${basename(path)}.${process.pid}.${counter}.tmp`);
}

/**
 * Writes `content` to `path` through a temporary file in the same folder, fsync and rename: a
 * crash leaves the old file or the new one, never half of one. Returns false when the bytes were
 * already there (nothing is written, so an unchanged record makes no commit). A caller whose
 * content is new each time (a record that moved on) passes `compare: false`, and the file is not
 * read first. Files rebuilt from others at every run need no fsync: see `writeChangedFiles`.
 */
export async function writeFileAtomically(
  path: string,
  content: string,
  options: { compare?: boolean } = {},
): Promise<boolean> {
  const current = options.compare === false ? undefined : await readFile(path, 'utf8').catch(() => undefined);
  if (current === content) return false;
  const dir = dirname(path);
  // A file was read there, or the folder was made before: it is not made again for each write.
  if (current === undefined && !FOLDERS.has(dir)) await mkdir(dir, { recursive: true });
  FOLDERS.add(dir);
  const temporary = temporaryPathOf(path);
  try {
    const handle = await open(temporary, 'w').catch(async (error: NodeJS.ErrnoException) => {
      // The folder was removed since: made again.
      if (error.code !== 'ENOENT') throw error;
      await mkdir(dir, { recursive: true });
      return open(temporary, 'w');
    });
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return true;
}

/** `writeFileAtomically` for a JSON value, in the stable form of `stableStringify`. */
export function writeJsonAtomically(
  path: string,
  value: unknown,
  options: { compare?: boolean } = {},
): Promise<boolean> {
  return writeFileAtomically(path, stableStringify(value), options);
}

/**
 * Removes temporary files left under `dir` by processes that died mid-write (SIGKILL, power
 * loss). Files of live processes are left alone. Returns the paths removed.
 */
export async function sweepStaleTemps(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const removed: string[] = [];
  for (const entry of entries) {
    const match = entry.isFile() ? TEMP.exec(entry.name) : null;
    if (!match || isAlive(Number(match[1]))) continue;
    const path = join(entry.parentPath, entry.name);
    await rm(path, { force: true });
    removed.push(path);
  }
  return removed;
}
