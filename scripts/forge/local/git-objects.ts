// A repository's git objects: read through one `cat-file` process, written as loose objects in git's format.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deflate } from 'node:zlib';
import { FactoryError } from '../../core/errors.ts';
import { pathPrefixes, type TreeMode, treeModeOf } from '../../core/path-tree.ts';
import type { Author, FileChange } from '../types.ts';
import { GitPipe, git, runGit } from './git.ts';

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

const deflated = promisify(deflate);

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

/** How a file differs between two trees: what the newer one holds there, if anything. */
export interface TreeChange {
  status: 'added' | 'modified' | 'deleted';
  entry?: TreeEntry;
}

/** Changed files by path, in git's order. */
export type TreeChanges = Map<string, TreeChange>;

/** Trees kept once read; past this many the cache starts over. */
const TREES_KEPT = 4096;

const isTree = (entry: TreeEntry) => treeModeOf(entry.mode) === '040000';

/** Names a batch request cannot carry (a line break ends a request); such reads spawn git instead. */
const UNSAFE_NAME = /[\n\r]|^\s|\s$/;

/** Where a repository keeps its objects, and how it names them. */
interface ObjectStore {
  dir: string;
  algorithm: 'sha1' | 'sha256';
}

/** Git's order of tree entries: bytes of the name, a subtree's name read as if it ended in "/". */
function treeOrder(a: TreeEntry, b: TreeEntry): number {
  const key = (entry: TreeEntry) =>
    Buffer.from(treeModeOf(entry.mode) === '040000' ? `${entry.name}/` : entry.name);
  return Buffer.compare(key(a), key(b));
}

/** A name no tree may hold: git itself would refuse it, or a checkout would escape through it. */
function badEntryName(name: string): boolean {
  return name === '' || name === '.' || name === '..' || /[/\0]/.test(name);
}

/**
 * A repository's objects. Reads and ref lookups go through one long-lived `git cat-file
 * --batch-command`; blobs, trees and commits are written here, as loose objects in git's own
 * format (deflated, named by their hash, written to a temporary file and renamed, as git does),
 * so a forge step costs a few file writes, not process starts. Ref updates still go through
 * `update-ref`, which locks and logs as git does.
 */
export class GitObjects {
  readonly #root: string;
  readonly #reader: GitPipe<Answer>;
  #store: Promise<ObjectStore> | undefined;
  readonly #trees = new Map<string, Promise<TreeEntry[]>>();
  /** Objects written, and object folders made, by this instance: neither is asked about again. */
  readonly #written = new Set<string>();
  readonly #folders = new Set<string>();

  constructor(root: string) {
    this.#root = root;
    this.#reader = new GitPipe<Answer>(root, ['cat-file', '--batch-command'], parseContents);
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

  /** The entries of a tree object (kept once read: an object never changes). */
  tree(oid: string): Promise<TreeEntry[]> {
    let entries = this.#trees.get(oid);
    if (!entries) {
      if (this.#trees.size >= TREES_KEPT) this.#trees.clear();
      entries = this.#readTree(oid);
      this.#trees.set(oid, entries);
      entries.catch(() => this.#trees.delete(oid));
    }
    return entries;
  }

  async #readTree(oid: string): Promise<TreeEntry[]> {
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

  /** The parents of a commit, in order. */
  async parents(commit: string): Promise<string[]> {
    const object = await this.read(commit);
    if (object?.type !== 'commit') throw new FactoryError('forge', `git object ${commit} is not a commit`);
    const header = object.content.toString('utf8').split('\n\n', 1)[0]!;
    return header
      .split('\n')
      .filter((line) => line.startsWith('parent '))
      .map((line) => line.slice('parent '.length));
  }

  /**
   * The files that differ from tree `from` to tree `to`, by path, in git's order: each with what
   * `to` holds there, none where it was deleted. A folder is never listed, only what is in it;
   * only subtrees that differ are read.
   */
  async changes(from: string | undefined, to: string | undefined): Promise<TreeChanges> {
    const found: [string, TreeChange][] = [];
    await this.#collectChanges(from, to, '', found);
    return new Map(found.sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
  }

  async #collectChanges(
    from: string | undefined,
    to: string | undefined,
    prefix: string,
    found: [string, TreeChange][],
  ): Promise<void> {
    if (from === to) return;
    const [before, after] = await Promise.all([from ? this.tree(from) : [], to ? this.tree(to) : []]);
    const byName = new Map<string, { before?: TreeEntry; after?: TreeEntry }>();
    for (const entry of before) byName.set(entry.name, { before: entry });
    for (const entry of after) byName.set(entry.name, { ...byName.get(entry.name), after: entry });
    const below: Promise<void>[] = [];
    for (const [name, { before: old, after: now }] of byName) {
      if (old && now && old.oid === now.oid && old.mode === now.mode) continue;
      const path = `${prefix}${name}`;
      const oldFile = old && !isTree(old) ? old : undefined;
      const newFile = now && !isTree(now) ? now : undefined;
      if (newFile) found.push([path, { status: oldFile ? 'modified' : 'added', entry: newFile }]);
      else if (oldFile) found.push([path, { status: 'deleted' }]);
      const oldTree = old && isTree(old) ? old.oid : undefined;
      const newTree = now && isTree(now) ? now.oid : undefined;
      if (oldTree || newTree) below.push(this.#collectChanges(oldTree, newTree, `${path}/`, found));
    }
    await Promise.all(below);
  }

  /**
   * Tree `tree` with `changes` applied: each path set to its entry, or removed; folders are made
   * on the way and dropped once empty, as git never keeps an empty tree. Undefined when nothing
   * is left.
   */
  async applyChanges(
    tree: string | undefined,
    changes: ReadonlyMap<string, TreeEntry | undefined>,
  ): Promise<string | undefined> {
    const entries = new Map((tree ? await this.tree(tree) : []).map((entry) => [entry.name, entry]));
    const below = new Map<string, Map<string, TreeEntry | undefined>>();
    for (const [path, entry] of changes) {
      const slash = path.indexOf('/');
      if (slash === -1) {
        if (entry) entries.set(path, { ...entry, name: path });
        else entries.delete(path);
        continue;
      }
      const name = path.slice(0, slash);
      const inside = below.get(name) ?? new Map<string, TreeEntry | undefined>();
      inside.set(path.slice(slash + 1), entry);
      below.set(name, inside);
    }
    const subtrees = await Promise.all(
      [...below].map(async ([name, inside]) => {
        const existing = entries.get(name);
        return {
          name,
          oid: await this.applyChanges(existing && isTree(existing) ? existing.oid : undefined, inside),
        };
      }),
    );
    for (const { name, oid } of subtrees) {
      if (oid === undefined) entries.delete(name);
      else entries.set(name, { mode: '040000', name, oid });
    }
    return entries.size === 0 ? undefined : this.writeTree([...entries.values()]);
  }

  /** Writes `content` as a blob. */
  writeBlob(content: string): Promise<string> {
    return this.#write('blob', Buffer.from(content, 'utf8'));
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
    return this.#write('commit', Buffer.from(text, 'utf8'));
  }

  /** Writes a tree of `entries` (in any order: they are sorted as git sorts them). */
  async writeTree(entries: readonly TreeEntry[]): Promise<string> {
    const bad = entries.find((entry) => badEntryName(entry.name));
    if (bad) throw new FactoryError('forge', `a tree cannot hold an entry named "${bad.name}"`);
    const body = [...entries].sort(treeOrder).flatMap((entry) => [
      // Git writes a subtree's mode without its leading zero.
      Buffer.from(`${treeModeOf(entry.mode) === '040000' ? '40000' : entry.mode} ${entry.name}\0`),
      Buffer.from(entry.oid, 'hex'),
    ]);
    return this.#write('tree', Buffer.concat(body));
  }

  /**
   * Stores one object unless it is there already: hashed, deflated, written to a temporary file
   * beside its place and renamed into it, so a reader never sees half an object and a crash
   * leaves only a `tmp_obj_` file, which `git gc` removes.
   */
  async #write(type: 'blob' | 'tree' | 'commit', body: Buffer): Promise<string> {
    const store = await this.#objectStore();
    const whole = Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body]);
    const oid = createHash(store.algorithm).update(whole).digest('hex');
    const folder = join(store.dir, oid.slice(0, 2));
    const path = join(folder, oid.slice(2));
    // Whether git has it already is not asked: most objects are new, and writing one again is
    // harmless (the same bytes under the same name).
    if (this.#written.has(oid)) return oid;
    const data = await deflated(whole, { level: 1 });
    if (!this.#folders.has(folder)) {
      await mkdir(folder, { recursive: true });
      this.#folders.add(folder);
    }
    const temporary = join(folder, `tmp_obj_${randomBytes(6).toString('hex')}`);
    try {
      await writeFile(temporary, data, { mode: 0o444 }).catch(async (error: NodeJS.ErrnoException) => {
        // The folder was there, but a `git gc` meanwhile removes the empty ones.
        if (error.code !== 'ENOENT') throw error;
        await mkdir(folder, { recursive: true });
        await writeFile(temporary, data, { mode: 0o444 });
      });
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw new FactoryError(
        'forge',
        `could not write a git object in ${folder}: ${(error as Error).message}`,
      );
    }
    this.#written.add(oid);
    return oid;
  }

  #objectStore(): Promise<ObjectStore> {
    this.#store ??= git(this.#root, [
      'rev-parse',
      '--path-format=absolute',
      '--git-path',
      'objects',
      '--show-object-format',
    ]).then((answer) => {
      const [dir, format] = answer.split('\n');
      if (format !== 'sha1' && format !== 'sha256')
        throw new FactoryError('forge', `git names objects with ${format}, which the factory does not know`);
      return { dir: dir!, algorithm: format };
    });
    this.#store.catch(() => (this.#store = undefined));
    return this.#store;
  }

  /** The tree of `commit` with `changes` applied (each a whole regular file). */
  async treeWith(
    commit: string,
    changes: readonly FileChange[],
    deletions: readonly string[] = [],
  ): Promise<string> {
    const root = await this.resolve(`${commit}^{tree}`);
    if (root === undefined) throw new FactoryError('forge', `commit ${commit} has no tree`);
    const blobs = await Promise.all(
      changes.map(
        async (change): Promise<[string, TreeEntry | undefined]> => [
          change.path,
          { mode: '100644', name: change.path, oid: await this.writeBlob(change.content) },
        ],
      ),
    );
    const removed = deletions.map((path): [string, undefined] => [path, undefined]);
    // A tree left with nothing is written as git's empty tree, as a commit needs one.
    return (await this.applyChanges(root, new Map([...removed, ...blobs]))) ?? (await this.writeTree([]));
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

  /** Ends the reading process; the next read starts it again. */
  close(): void {
    this.#reader.close();
  }
}
