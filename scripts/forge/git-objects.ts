import { mkdtempSync, rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FactoryError } from '../core/errors.ts';
import { pathPrefixes, type TreeMode, treeModeOf } from '../core/path-tree.ts';
import { GitPipe, runGit } from './git.ts';
import type { Author, FileChange } from './types.ts';

/** An object as `cat-file` shows it. */
export interface GitObject {
  oid: string;
  type: string;
  content: Buffer;
}

/** One entry of a tree object. */
export interface TreeEntry {
  mode: string;
  name: string;
  oid: string;
}

type Answer = GitObject | { oid: string; type: string } | undefined;

/** One line up to "\n", or undefined until it has arrived. */
function line(buffer: Buffer): { text: string; end: number } | undefined {
  const end = buffer.indexOf(10);
  return end === -1 ? undefined : { text: buffer.subarray(0, end).toString('utf8'), end: end + 1 };
}

/** `<oid> <type> <size>` or `<name> missing|ambiguous`. */
function header(text: string): { oid: string; type: string; size: number } | undefined {
  const [oid, type, size] = text.split(' ');
  return size === undefined ? undefined : { oid: oid!, type: type!, size: Number(size) };
}

const parseInfo = (buffer: Buffer) => {
  const first = line(buffer);
  if (!first) return undefined;
  const head = header(first.text);
  return { value: head ? { oid: head.oid, type: head.type } : undefined, used: first.end };
};

const parseContents = (buffer: Buffer) => {
  const first = line(buffer);
  if (!first) return undefined;
  const head = header(first.text);
  if (!head) return { value: undefined, used: first.end };
  if (buffer.length < first.end + head.size + 1) return undefined;
  const content = Buffer.from(buffer.subarray(first.end, first.end + head.size));
  return { value: { oid: head.oid, type: head.type, content }, used: first.end + head.size + 1 };
};

const parseOid = (buffer: Buffer) => {
  const first = line(buffer);
  return first ? { value: first.text.trim(), used: first.end } : undefined;
};

/** `Name <email>` as git writes it: the characters git strips from an identity never get in. */
function person(who: Author): string {
  const clean = (text: string) => text.replace(/[<>\n\r\0]/g, '').trim();
  return `${clean(who.name)} <${clean(who.email)}>`;
}

/** `<seconds> <+hhmm>`: the moment and this machine's offset from UTC, as git stamps a commit. */
function signature(now: Date): string {
  const offset = -now.getTimezoneOffset();
  const abs = Math.abs(offset);
  const zone = `${offset < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
  return `${Math.floor(now.getTime() / 1000)} ${zone}`;
}

/** Scratch folders of this process, removed when it exits, so a run that never closes leaves none behind. */
const SCRATCH_DIRS = new Set<string>();
process.once('exit', () => {
  for (const dir of SCRATCH_DIRS) rmSync(dir, { recursive: true, force: true });
});

/** Names a batch request cannot carry (a line break ends a request); such reads spawn git instead. */
const UNSAFE_NAME = /[\n\r]|^\s|\s$/;

/**
 * A repository's objects through three long-lived git processes: reads and ref lookups through
 * `cat-file --batch-command`, blobs through `hash-object -w --stdin-paths`, trees through
 * `mktree --batch`, commits through `hash-object -w -t commit --stdin-paths`. A forge step then
 * costs pipe writes, not process starts; ref updates still go through `update-ref`, which locks
 * and logs as git does.
 */
export class GitObjects {
  readonly #root: string;
  readonly #reader: GitPipe<Answer>;
  readonly #blobs: GitPipe<string>;
  readonly #trees: GitPipe<string>;
  readonly #commits: GitPipe<string>;
  #scratch: string | undefined;
  #files = 0;

  constructor(root: string) {
    this.#root = root;
    this.#reader = new GitPipe<Answer>(root, ['cat-file', '--batch-command'], parseContents);
    this.#blobs = new GitPipe<string>(root, ['hash-object', '-w', '--no-filters', '--stdin-paths'], parseOid);
    this.#trees = new GitPipe<string>(root, ['mktree', '--batch', '-z'], parseOid);
    this.#commits = new GitPipe<string>(
      root,
      ['hash-object', '-w', '-t', 'commit', '--no-filters', '--stdin-paths'],
      parseOid,
    );
  }

  /** The object id `name` resolves to (`refs/heads/x^{commit}`, `<commit>:<path>`), if any. */
  async resolve(name: string): Promise<string | undefined> {
    if (UNSAFE_NAME.test(name)) {
      const result = await runGit(this.#root, ['rev-parse', '--verify', '--quiet', name]);
      return result.code === 0 ? result.stdout.trim() : undefined;
    }
    return (await this.#reader.request(`info ${name}\n`, parseInfo))?.oid;
  }

  /** The object `name` resolves to, with its content, if any. */
  async read(name: string): Promise<GitObject | undefined> {
    if (UNSAFE_NAME.test(name)) {
      const resolved = await this.resolve(name);
      return resolved === undefined ? undefined : this.read(resolved);
    }
    return (await this.#reader.request(`contents ${name}\n`)) as GitObject | undefined;
  }

  /** The entries of a tree object. */
  async tree(oid: string): Promise<TreeEntry[]> {
    const object = await this.read(oid);
    if (object?.type !== 'tree') throw new FactoryError('forge', `git object ${oid} is not a tree`);
    const bytes = oid.length / 2;
    const entries: TreeEntry[] = [];
    const { content } = object;
    for (let at = 0; at < content.length; ) {
      const space = content.indexOf(32, at);
      const nul = content.indexOf(0, space);
      entries.push({
        mode: content.subarray(at, space).toString('utf8'),
        name: content.subarray(space + 1, nul).toString('utf8'),
        oid: content.subarray(nul + 1, nul + 1 + bytes).toString('hex'),
      });
      at = nul + 1 + bytes;
    }
    return entries;
  }

  /** Writes `content` as a blob. */
  writeBlob(content: string): Promise<string> {
    return this.#write(this.#blobs, content);
  }

  /**
   * Writes a commit as `git commit-tree` would (which, like this, never signs): `tree`, its
   * `parents`, author and committer stamped now in this machine's time zone, and `message`.
   */
  writeCommit(input: {
    tree: string;
    parents: readonly string[];
    author: Author;
    committer: Author;
    message: string;
    now?: Date;
  }): Promise<string> {
    const stamp = signature(input.now ?? new Date());
    const text = [
      `tree ${input.tree}`,
      ...input.parents.map((parent) => `parent ${parent}`),
      `author ${person(input.author)} ${stamp}`,
      `committer ${person(input.committer)} ${stamp}`,
      '',
      input.message,
    ].join('\n');
    return this.#write(this.#commits, text);
  }

  async #write(pipe: GitPipe<string>, content: string): Promise<string> {
    this.#scratch ??= this.#makeScratch();
    this.#files += 1;
    const file = join(this.#scratch, String(this.#files));
    await writeFile(file, content);
    try {
      return await pipe.request(`${file}\n`);
    } finally {
      await rm(file, { force: true });
    }
  }

  /** Writes a tree of `entries` (in any order: mktree sorts them). */
  writeTree(entries: readonly TreeEntry[]): Promise<string> {
    const kind = (mode: string) =>
      treeModeOf(mode) === '040000' ? 'tree' : mode === '160000' ? 'commit' : 'blob';
    const listing = entries.map((entry) => `${entry.mode} ${kind(entry.mode)} ${entry.oid}\t${entry.name}\0`);
    return this.#trees.request(`${listing.join('')}\0`);
  }

  /** The tree of `commit` with `changes` applied (each a whole regular file). */
  async treeWith(commit: string, changes: readonly FileChange[]): Promise<string> {
    const root = await this.resolve(`${commit}^{tree}`);
    if (root === undefined) throw new FactoryError('forge', `commit ${commit} has no tree`);
    return this.#rebuild(
      root,
      changes.map((change) => ({ parts: change.path.split('/'), content: change.content })),
    );
  }

  async #rebuild(
    tree: string | undefined,
    changes: readonly { parts: string[]; content: string }[],
  ): Promise<string> {
    const entries = new Map((tree ? await this.tree(tree) : []).map((entry) => [entry.name, entry]));
    const below = new Map<string, { parts: string[]; content: string }[]>();
    for (const change of changes) {
      const [name, ...rest] = change.parts as [string, ...string[]];
      if (rest.length === 0) {
        entries.set(name, { mode: '100644', name, oid: await this.writeBlob(change.content) });
      } else {
        below.set(name, [...(below.get(name) ?? []), { parts: rest, content: change.content }]);
      }
    }
    for (const [name, inside] of below) {
      const existing = entries.get(name);
      const subtree = existing && treeModeOf(existing.mode) === '040000' ? existing.oid : undefined;
      entries.set(name, { mode: '040000', name, oid: await this.#rebuild(subtree, inside) });
    }
    return this.writeTree([...entries.values()]);
  }

  /**
   * The mode of the entry of `commit` at each of `paths` and each of their parent folders, where
   * the tree has one, read tree by tree (every folder on the way is reported too).
   */
  async entriesAt(commit: string, paths: readonly string[]): Promise<Map<string, TreeMode>> {
    const found = new Map<string, TreeMode>();
    const root = await this.resolve(`${commit}^{tree}`);
    if (root === undefined) return found;
    const trees = new Map<string, Promise<TreeEntry[]>>();
    const listing = (oid: string) => {
      let entries = trees.get(oid);
      if (!entries) {
        entries = this.tree(oid);
        trees.set(oid, entries);
      }
      return entries;
    };
    for (const prefix of new Set(paths.flatMap(pathPrefixes))) {
      let tree: string | undefined = root;
      let entry: TreeEntry | undefined;
      for (const name of prefix.split('/')) {
        if (tree === undefined) {
          entry = undefined;
          break;
        }
        entry = (await listing(tree)).find((candidate) => candidate.name === name);
        tree = entry && treeModeOf(entry.mode) === '040000' ? entry.oid : undefined;
      }
      if (entry) found.set(prefix, treeModeOf(entry.mode));
    }
    return found;
  }

  /** Ends the processes and removes the scratch folder. */
  close(): void {
    for (const pipe of [this.#reader, this.#blobs, this.#trees, this.#commits]) pipe.close();
    if (this.#scratch) {
      rmSync(this.#scratch, { recursive: true, force: true });
      SCRATCH_DIRS.delete(this.#scratch);
    }
    this.#scratch = undefined;
  }

  #makeScratch(): string {
    const dir = mkdtempSync(join(tmpdir(), 'aifactory-blobs-'));
    SCRATCH_DIRS.add(dir);
    return dir;
  }
}
