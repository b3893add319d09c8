import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { stableStringify } from '../core/stable-json.ts';

/**
 * Writes `content` to `path` through a temporary file, fsync and rename: a crash leaves either
 * the old file or the new one, never half of one. Returns false when the bytes were already there.
 */
export async function writeFileAtomically(path: string, content: string): Promise<boolean> {
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current === content) return false;
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, content, { encoding: 'utf8', fsync: true });
  return true;
}

/** `writeFileAtomically` for a JSON value, in the stable form of `stableStringify`. */
export function writeJsonAtomically(path: string, value: unknown): Promise<boolean> {
  return writeFileAtomically(path, stableStringify(value));
}
