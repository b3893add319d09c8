/** The agent's working copy: the files git shows, read safely from disk, under an in-memory overlay of its edits. */
import { execFile } from 'node:child_process';
import { constants, type Stats } from 'node:fs';
import { type FileHandle, lstat, open } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { promisify } from 'node:util';
import { looksBinary } from '../../core/protocol/protocol.ts';
import type { FileChange } from '../../forge/types.ts';

const run = promisify(execFile);

/** Why a path cannot be read or written as a file, named in the tool result. */
export interface PathRefusal {
  rule: string;
  message: string;
}

/** What reading one file gave: its text, a file too large to hold whole, or a refusal. */
export type FileRead =
  | { kind: 'text'; text: string }
  | { kind: 'large'; size: number }
  | ({ kind: 'refused' } & PathRefusal);

/** The changes of a working copy, as the forge takes them: whole new contents, and deletions. */
export interface WorkingCopyEdits {
  changes: FileChange[];
  deletions: string[];
}

/**
 * What the task's branch changes against the default branch, at its head: from the second
 * iteration on, the agent goes on from its own earlier work, which the worktree on disk (the
 * default branch) does not hold.
 */
export interface BranchFiles {
  /** Files the branch adds or changes, with their whole content at its head. */
  written: ReadonlyMap<string, string>;
  /** Files the branch deletes. */
  deleted: readonly string[];
}

/** How a working copy is opened: its read bounds, and the branch it goes on from, if any. */
export interface WorkingCopyOptions {
  limits?: Partial<WorkingCopyLimits>;
  branch?: BranchFiles;
}

/** Bounds of a working copy's reads. */
export interface WorkingCopyLimits {
  /** Files up to this size are read whole (and cached); larger ones only by range. */
  wholeFileBytes: number;
  /** What the cache of file texts holds at most, over all files. */
  cacheBytes: number;
}

export const DEFAULT_WORKING_COPY_LIMITS: WorkingCopyLimits = {
  wholeFileBytes: 1024 * 1024,
  cacheBytes: 128 * 1024 * 1024,
};

/** Git decides a file is binary from a NUL in its first 8,000 bytes; we look at as much. */
const SNIFF_BYTES = 8000;

/** How large a piece a large file is read in. */
const CHUNK_BYTES = 64 * 1024;

function refused(rule: string, message: string): FileRead {
  return { kind: 'refused', rule, message };
}

/**
 * What the disk holds on the way to `path` under `root`: every folder on the way must be a real
 * folder (never a symbolic link), and the path itself a regular file (or, with `mayBeMissing`,
 * nothing). lstat only: nothing is opened, so a FIFO or a device never blocks and a link never
 * leads anywhere.
 */
export async function inspectOnDisk(
  root: string,
  path: string,
  mayBeMissing: boolean,
  folders?: Set<string>,
): Promise<{ stats?: Stats; refusal?: PathRefusal }> {
  const segments = path.split('/');
  let at = root;
  for (const [index, segment] of segments.entries()) {
    at = join(at, segment);
    const shown = segments.slice(0, index + 1).join('/');
    const last = index === segments.length - 1;
    if (!last && folders?.has(shown)) continue;
    const stats = await lstat(at).catch(() => undefined);
    if (!stats) {
      return mayBeMissing
        ? {}
        : { refusal: { rule: 'not_found', message: `"${path}" does not exist in the working copy` } };
    }
    if (stats.isSymbolicLink()) {
      return {
        refusal: {
          rule: 'symlink',
          message: `"${shown}" is a symbolic link; links are never followed, read or written through`,
        },
      };
    }
    if (!last && !stats.isDirectory()) {
      return { refusal: { rule: 'not_a_folder', message: `"${shown}" is a file, not a folder` } };
    }
    if (!last) folders?.add(shown);
    if (last && stats.isDirectory()) {
      return { refusal: { rule: 'folder', message: `"${path}" is a folder; use list_files for its files` } };
    }
    if (last && !stats.isFile()) {
      return {
        refusal: {
          rule: 'special_file',
          message: `"${path}" is not a regular file (a FIFO, socket or device); it is never opened`,
        },
      };
    }
    if (last) return { stats };
  }
  /* v8 ignore next: the loop returns on its last segment */
  return {};
}

/**
 * The repository as an agent sees it, at one worktree: the tracked files and the untracked files
 * that are not ignored, as one `git ls-files` listed them when the copy was opened (an ignored
 * `.env` does not exist here, nor does `.git/`), with the task branch's own changes over them
 * when the copy goes on from a branch. Edits live in memory: reads see them, and `edits()` hands
 * them over as the proposal. Nothing on disk is ever written.
 */
export class WorkingCopy {
  readonly root: string;
  readonly limits: WorkingCopyLimits;
  readonly #base: ReadonlySet<string>;
  /** The branch's written files, read before the disk: the disk holds the default branch. */
  readonly #branch: ReadonlyMap<string, string>;
  /** Edited paths: the new content, or null for a deletion. */
  readonly #overlay = new Map<string, string | null>();
  readonly #cache = new Map<string, string>();
  /**
   * Folders already seen to be real folders, not links: the worktree is the factory's own, and
   * nothing the agent does changes it on disk, so each is inspected once.
   */
  readonly #folders = new Set<string>();
  #cachedBytes = 0;
  #sorted: string[] | undefined;

  private constructor(
    root: string,
    base: ReadonlySet<string>,
    branch: ReadonlyMap<string, string>,
    limits: WorkingCopyLimits,
  ) {
    this.root = root;
    this.#base = base;
    this.#branch = branch;
    this.limits = limits;
  }

  /**
   * A working copy of the worktree at `root` (its top folder), listed by one git process, with
   * `options.branch` over it: the files the branch writes read as it holds them, and those it
   * deletes gone.
   * @throws Error when git cannot list the worktree.
   */
  static async open(root: string, options: WorkingCopyOptions = {}): Promise<WorkingCopy> {
    const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: root,
      maxBuffer: 1024 * 1024 * 1024,
      encoding: 'utf8',
    });
    const base = new Set(stdout.split('\0').filter((path) => path !== ''));
    const written = options.branch?.written ?? new Map<string, string>();
    for (const path of options.branch?.deleted ?? []) base.delete(path);
    for (const path of written.keys()) base.add(path);
    return new WorkingCopy(root, base, written, { ...DEFAULT_WORKING_COPY_LIMITS, ...options.limits });
  }

  /** Every file the agent can see, edits included, sorted. */
  paths(): readonly string[] {
    if (!this.#sorted) {
      const all = new Set(this.#base);
      for (const [path, content] of this.#overlay) {
        if (content === null) all.delete(path);
        else all.add(path);
      }
      this.#sorted = [...all].sort();
    }
    return this.#sorted;
  }

  /** Whether the agent can see a file at `path`. */
  has(path: string): boolean {
    const edited = this.#overlay.get(path);
    return edited === undefined ? this.#base.has(path) : edited !== null;
  }

  /** Whether `path` is one of the listed files, before any edit: false means new or ignored. */
  listed(path: string): boolean {
    return this.#base.has(path);
  }

  /**
   * Whether git ignores `path` and does not track it: the user's local file (a `.env`), which an
   * agent neither sees nor writes. One `git check-ignore` per call; asked only for new paths.
   */
  async ignored(path: string): Promise<boolean> {
    if (this.#base.has(path)) return false;
    try {
      await run('git', ['check-ignore', '-q', '--', path], { cwd: this.root });
      return true;
    } catch (error) {
      // Exit 1 is git's "not ignored"; anything else means git could not answer, so refuse.
      return (error as { code?: unknown }).code !== 1;
    }
  }

  /** Whether `path` was edited in this copy (written or deleted). */
  edited(path: string): boolean {
    return this.#overlay.has(path);
  }

  /** The text of `path` if it is held in memory (edited, the branch's or cached), without touching the disk. */
  held(path: string): string | undefined {
    const edited = this.#overlay.get(path);
    if (edited !== undefined) return edited ?? undefined;
    const onBranch = this.#branch.get(path);
    if (onBranch !== undefined) return branchBinary(onBranch) ? undefined : onBranch;
    return this.#cache.get(path);
  }

  /**
   * The text of a visible file: from the overlay, the cache, or the disk. A file larger than
   * `wholeFileBytes` is answered as `large`, for `scan`; a binary one is refused with its size.
   */
  async read(path: string): Promise<FileRead> {
    const edited = this.#overlay.get(path);
    if (typeof edited === 'string') return { kind: 'text', text: edited };
    if (!this.has(path)) {
      return refused(
        'not_found',
        `"${path}" is not a file of the repository (ignored files and .git/ are not visible); list_files shows what there is`,
      );
    }
    const onBranch = this.#branch.get(path);
    if (onBranch !== undefined && branchBinary(onBranch)) {
      const size = Buffer.byteLength(onBranch);
      return refused('binary', `"${path}" is a binary file of ${size} bytes; only text files can be read`);
    }
    const cached = onBranch ?? this.#cache.get(path);
    if (cached !== undefined) return { kind: 'text', text: cached };
    return this.#withFile(path, async (handle, size) => {
      const whole = size <= this.limits.wholeFileBytes;
      const bytes = await readAt(handle, 0, whole ? size : SNIFF_BYTES);
      if (looksBinary(bytes.subarray(0, SNIFF_BYTES).toString('latin1'))) {
        return refused('binary', `"${path}" is a binary file of ${size} bytes; only text files can be read`);
      }
      if (!whole) return { kind: 'large', size };
      const text = bytes.toString('utf8');
      if (this.#cachedBytes + size <= this.limits.cacheBytes) {
        this.#cache.set(path, text);
        this.#cachedBytes += size;
      }
      return { kind: 'text', text };
    });
  }

  /**
   * Reads a file on disk piece by piece from its start, as text, until `visit` returns false or
   * `limit` bytes were read: a large file is never held whole. A refusal when it cannot be read.
   */
  async scan(path: string, limit: number, visit: (text: string) => boolean): Promise<FileRead | undefined> {
    return this.#withFile(path, async (handle) => {
      const decoder = new StringDecoder('utf8');
      for (let start = 0; start < limit; start += CHUNK_BYTES) {
        const bytes = await readAt(handle, start, Math.min(CHUNK_BYTES, limit - start));
        if (bytes.length === 0 || !visit(decoder.write(bytes))) return undefined;
      }
      return undefined;
    });
  }

  /**
   * Runs `work` on the file at `path`, inspected with lstat first, then opened with O_NOFOLLOW
   * and O_NONBLOCK and refused when what was opened is not the regular file that lstat saw (a
   * path swapped for a link or a FIFO in between).
   */
  async #withFile<T>(
    path: string,
    work: (handle: FileHandle, size: number) => Promise<T>,
  ): Promise<T | FileRead> {
    const { stats, refusal } = await inspectOnDisk(this.root, path, false, this.#folders);
    if (refusal) return { kind: 'refused', ...refusal };
    const handle = await open(
      join(this.root, path),
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    ).catch(() => undefined);
    if (!handle) return refused('unreadable', `"${path}" cannot be opened`);
    try {
      const opened = await handle.stat();
      if (!opened.isFile() || opened.ino !== stats!.ino || opened.dev !== stats!.dev) {
        return refused('changed', `"${path}" changed while it was read; read it again`);
      }
      return await work(handle, opened.size);
    } finally {
      await handle.close();
    }
  }

  /** Records `content` as the new whole content of `path`. The caller has checked the write. */
  write(path: string, content: string): void {
    this.#overlay.set(path, content);
    this.#sorted = undefined;
  }

  /** Records the deletion of `path`; a file this copy created is simply forgotten. */
  delete(path: string): void {
    if (this.#base.has(path)) this.#overlay.set(path, null);
    else this.#overlay.delete(path);
    this.#sorted = undefined;
  }

  /** The edits so far, as the forge takes them: written files whole, deleted paths apart. Sorted by path. */
  edits(): WorkingCopyEdits {
    const changes: FileChange[] = [];
    const deletions: string[] = [];
    for (const path of [...this.#overlay.keys()].sort()) {
      const content = this.#overlay.get(path)!;
      if (content === null) deletions.push(path);
      else changes.push({ path, content });
    }
    return { changes, deletions };
  }
}

/** Whether a file of the branch, read through the forge as text, is binary: judged as a file on disk is. */
function branchBinary(text: string): boolean {
  return looksBinary(text.slice(0, SNIFF_BYTES));
}

/** Up to `length` bytes of an open file from byte `start`. */
async function readAt(handle: FileHandle, start: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, start);
  return buffer.subarray(0, bytesRead);
}
