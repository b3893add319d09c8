// The local forge: branches, commits, pull request records and merges in real git, off the user's working tree.
import { lstat, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { FactoryError } from '../../core/errors.ts';
import type { TreeMode } from '../../core/path-tree.ts';
import { writeJsonAtomically } from '../../io/atomic-write.ts';
import { KeyedMutex, Mutex } from '../../io/process.ts';
import { listed } from '../../ui/words.ts';
import { FACTORY_COMMITTER, withTrailers } from '../commit-message.ts';
import { HOLD_LABEL } from '../labels.ts';
import { type CheckSandbox, createCheckSandbox } from '../sandbox.ts';
import type {
  Author,
  ChangedFile,
  CheckReport,
  DefaultBranchCommit,
  DefaultBranchOutcome,
  Forge,
  IterationPush,
  MergeOutcome,
  PostedReview,
  PullRequest,
} from '../types.ts';
import { type ForkPoint, Lineage, mergeTrees } from './fast-merge.ts';
import { git, runGit } from './git.ts';
import { GitObjects } from './git-objects.ts';
import { lockedGit, RefUpdates } from './locks.ts';
import { checkoutLinks, ignoredInCheckout } from './path-inspection.ts';
import { type PullRecord, PullStore } from './pull-store.ts';
import { parseStoredJson } from './stored-json.ts';
import { checkedOutElsewhere, type GitDirs, headPointsAt } from './worktrees.ts';

/** How much of a failing check's output is kept for the coder and the run record. */
export const CHECK_OUTPUT_CHARS = 4000;

const ZERO_OID = '0000000000000000000000000000000000000000';

/** A check report as `readChecks` caches it per head under the git folder. */
const CachedCheckReportSchema = z.strictObject({
  state: z.enum(['passed', 'failed', 'pending', 'none', 'missing']),
  output: z.string(),
}) satisfies z.ZodType<CheckReport>;

/** The checkout marker: a move of the checked-out default branch from one commit to another. */
const CheckoutMoveSchema = z.strictObject({
  from: z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'a commit id'),
  to: z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'a commit id'),
});

function jsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** The review of the same commit in the same iteration, if one is recorded. */
function sameReview(
  reviews: PullRecord['reviews'],
  at: { commit: string; iteration: number },
): PullRecord['reviews'][number] | undefined {
  return reviews.find((review) => review.commit === at.commit && review.iteration === at.iteration);
}

/**
 * The local forge: real git in the repository at `root`. Branches and commits are made without
 * touching the user's working tree or index: objects are written in git's format (see
 * `GitObjects`), the forge's own branches are diffed and merged from their trees (see
 * `fast-merge.ts`; `git merge-tree` merges anything else), and refs move through `update-ref`.
 * The exception: a merge into the checked-out default branch brings it along like
 * `git merge --ff-only` would, refusing when that would overwrite uncommitted changes. Merges
 * that wait together move the branch once. Pull requests are JSON records in
 * `<git-dir>/aifactory/pulls/`.
 */
export class LocalForge implements Forge {
  readonly id = 'local' as const;
  readonly #root: string;
  readonly #dirs: GitDirs;
  readonly #defaultBranch: string;
  readonly #checks: { command?: string; timeoutSeconds: number };
  readonly #sandbox: CheckSandbox;
  readonly #committer: Author;
  /** Moves of the default branch, one at a time. */
  readonly #lock = new Mutex();
  /** Work on one branch and its pull request, one at a time; branches go on at once. */
  readonly #branches = new KeyedMutex();
  readonly #worktrees = new Mutex();
  /** The default branch's history as far as this forge made it (see `Lineage`). */
  #lineage = new Lineage('');
  /** Approved heads waiting for their merge (see `#mergeWaiting`). */
  readonly #waitingMerges: WaitingMerge[] = [];
  readonly #store: PullStore;
  readonly #objects: GitObjects;
  readonly #refs: RefUpdates;
  readonly #bare: boolean;

  private constructor(root: string, dirs: GitDirs, bare: boolean, options: LocalForgeOptions) {
    this.#root = root;
    this.#dirs = dirs;
    this.#bare = bare;
    this.#objects = new GitObjects(root);
    this.#refs = new RefUpdates(root, dirs);
    this.#defaultBranch = options.defaultBranch;
    this.#checks = options.checks ?? { timeoutSeconds: 600 };
    this.#sandbox = options.checks?.sandbox ?? createCheckSandbox();
    this.#committer = options.committer ?? FACTORY_COMMITTER;
    this.#store = new PullStore(dirs.gitDir);
  }

  static async open(options: LocalForgeOptions): Promise<LocalForge> {
    const inside = await runGit(options.root, [
      'rev-parse',
      '--absolute-git-dir',
      '--is-bare-repository',
      '--path-format=absolute',
      '--git-common-dir',
    ]);
    if (inside.code !== 0) {
      throw new FactoryError(
        'forge',
        `${options.root} is not a git repository; run the factory inside a clone`,
      );
    }
    const [gitDir, bare, commonDir] = inside.stdout.trim().split('\n');
    const dirs = { gitDir: gitDir!, commonDir: commonDir! };
    const elsewhere = await checkedOutElsewhere(options.root, dirs, options.defaultBranch);
    if (elsewhere !== undefined) {
      throw new FactoryError(
        'forge',
        `the default branch "${options.defaultBranch}" is checked out in another worktree, ${elsewhere}; the local forge would move it under that checkout. Run the factory there, or check out another branch in it`,
      );
    }
    const forge = new LocalForge(options.root, dirs, bare === 'true', options);
    const head = await forge.#resolve(`refs/heads/${options.defaultBranch}`);
    if (head === undefined) {
      throw new FactoryError(
        'config',
        `the default branch "${options.defaultBranch}" has no commit here; set default_branch in aifactory.config.ts`,
      );
    }
    forge.#lineage = new Lineage(head);
    return forge;
  }

  async findPullRequest(branch: string): Promise<PullRequest | undefined> {
    const record = await this.#store.findByBranch(branch);
    return record ? this.#toPullRequest(record) : undefined;
  }

  async pushIteration(input: IterationPush): Promise<string> {
    return this.#branches.run(input.branch, async () => {
      const ref = `refs/heads/${input.branch}`;
      const head = await this.#resolve(ref);
      const base = head === undefined || input.restart ? await this.#defaultHead() : head;
      const tree = await this.#objects.treeWith(base, input.changes, input.deletions);
      if (head !== undefined && tree === (await this.#objects.resolve(`${head}^{tree}`))) return head;
      const commit = await this.#commitTree(
        tree,
        [base],
        withTrailers(input.message, input.trailers),
        input.author,
      );
      this.#lineage.made(commit);
      await this.#refs.move(ref, commit, head ?? ZERO_OID);
      return commit;
    });
  }

  async openPullRequest(input: { branch: string; title: string; body: string }): Promise<PullRequest> {
    return this.#branches.run(input.branch, async () => {
      const existing = await this.#store.findByBranch(input.branch);
      if (existing?.state === 'closed') {
        const reopened: PullRecord = { ...existing, state: 'open' };
        await this.#store.write(reopened);
        return this.#toPullRequest(reopened);
      }
      if (existing) return this.#toPullRequest(existing);
      const head = await this.#resolve(`refs/heads/${input.branch}`);
      if (head === undefined)
        throw new FactoryError('forge', `branch ${input.branch} does not exist; push first`);
      const record: PullRecord = {
        ...input,
        number: 0,
        state: 'open',
        head,
        merge_commit: null,
        labels: [],
        comments: [],
        reviews: [],
      };
      record.number = await this.#store.create(record);
      return this.#toPullRequest(record);
    });
  }

  async addReview(pr: PullRequest, review: PostedReview): Promise<void> {
    await this.#branches.run(pr.branch, async () => {
      const record = await this.#store.read(pr.number);
      if (sameReview(record.reviews, review)) return;
      record.reviews.push({
        agent: review.agent,
        verdict: review.verdict,
        summary: review.summary,
        comments: review.comments,
        commit: review.commit,
        iteration: review.iteration,
      });
      await this.#store.write(record);
    });
  }

  async findReview(
    pr: PullRequest,
    at: { commit: string; iteration: number },
  ): Promise<PostedReview | undefined> {
    const record = await this.#store.read(pr.number);
    const found = sameReview(record.reviews, at);
    return found?.commit === undefined || found.iteration === undefined
      ? undefined
      : { ...found, commit: found.commit, iteration: found.iteration };
  }

  async changedFiles(pr: PullRequest): Promise<ChangedFile[]> {
    const main = await this.#defaultHead();
    const fork = this.#lineage.describes(main) ? await this.#forkPoint(pr.head) : undefined;
    if (fork) {
      const [from, to] = await Promise.all([this.#treeOf(fork.base), this.#treeOf(pr.head)]);
      return [...(await this.#objects.changes(from, to))].map(([path, { status }]) => ({ path, status }));
    }
    const diff = await git(this.#root, [
      'diff',
      '--name-status',
      '--no-renames',
      '-z',
      `refs/heads/${this.#defaultBranch}...${pr.head}`,
    ]);
    const fields = diff.split('\0').filter(Boolean);
    const changed: ChangedFile[] = [];
    for (let index = 0; index + 1 < fields.length; index += 2) {
      const status = fields[index]![0];
      changed.push({
        path: fields[index + 1]!,
        status: status === 'A' ? 'added' : status === 'D' ? 'deleted' : 'modified',
      });
    }
    return changed;
  }

  async labelPullRequest(pr: PullRequest, labels: readonly string[]): Promise<void> {
    await this.#branches.run(pr.branch, async () => {
      const record = await this.#store.read(pr.number);
      const merged = [...new Set([...record.labels, ...labels])].sort();
      if (merged.length !== record.labels.length) await this.#store.write({ ...record, labels: merged });
    });
  }

  async commentOnce(pr: PullRequest, key: string, body: string): Promise<void> {
    await this.#branches.run(pr.branch, async () => {
      const record = await this.#store.read(pr.number);
      if (record.comments.some((comment) => comment.key === key)) return;
      await this.#store.write({ ...record, comments: [...record.comments, { key, body }] });
    });
  }

  async closePullRequest(pr: PullRequest): Promise<void> {
    await this.#branches.run(pr.branch, async () => {
      const record = await this.#store.read(pr.number);
      if (record.state === 'open') await this.#store.write({ ...record, state: 'closed' });
    });
  }

  async readChecks(pr: PullRequest): Promise<CheckReport> {
    const command = this.#checks.command;
    if (!command) return { state: 'none', output: '' };
    const cache = join(this.#dirs.gitDir, 'aifactory', 'checks', `${pr.head}.json`);
    const cached = await readFile(cache, 'utf8').catch(() => undefined);
    // A damaged cache entry is no answer: the checks run again and replace it.
    const report = cached === undefined ? undefined : CachedCheckReportSchema.safeParse(jsonOrNull(cached));
    if (report?.success) return report.data;
    const fresh = await this.#runChecks(command, pr.head);
    await writeJsonAtomically(cache, fresh);
    return fresh;
  }

  async merge(pr: PullRequest, input: { message: string; head: string }): Promise<MergeOutcome> {
    return this.#branches.run(pr.branch, async () => {
      const record = await this.#store.read(pr.number);
      if (record.state === 'merged' && record.merge_commit) {
        return { kind: 'merged', commit: record.merge_commit };
      }
      const head = await this.#resolve(`refs/heads/${record.branch}`);
      // A person closed it, or deleted the branch (`git branch -D`), which closes it as on GitHub:
      // nothing is merged, whatever the head.
      if (record.state === 'closed' || head === undefined)
        return { kind: 'closed', headGone: head === undefined };
      if (head !== input.head) return { kind: 'head_moved', head };
      const outcome = await new Promise<MergeOutcome>((resolve, reject) => {
        this.#waitingMerges.push({ head, message: input.message, resolve, reject });
        if (this.#waitingMerges.length === 1) void this.#lock.run(() => this.#mergeWaiting());
      });
      if (outcome.kind === 'merged') {
        await this.#store.write({ ...record, state: 'merged', head, merge_commit: outcome.commit });
      }
      return outcome;
    });
  }

  /**
   * Merges every pull request waiting, one merge commit each, and moves the default branch once
   * for all of them: moving it (a checkout and a ref update) costs more than the merges, and
   * merges that come in while it moves wait for the next turn. When one move for all is refused
   * (an uncommitted change in the checkout is in the way), each merge moves it on its own, so only
   * the one in the way fails.
   */
  async #mergeWaiting(): Promise<void> {
    const batch = this.#waitingMerges.splice(0);
    try {
      await this.#recoverCheckout();
      const main = await this.#defaultHead();
      // Moved by someone else since this forge last moved it: its history is git's to tell.
      if (!this.#lineage.describes(main)) this.#lineage.forget();
      let tip = main;
      const outcomes: MergeOutcome[] = [];
      for (const merge of batch) {
        const outcome = await this.#mergeOnto(tip, merge.head, merge.message);
        if (outcome.kind === 'merged') tip = outcome.commit;
        outcomes.push(outcome);
      }
      if (tip !== main) {
        try {
          await this.#moveDefaultBranch(main, tip);
        } catch (error) {
          // What the turn adopted never reached the branch.
          this.#lineage.forget();
          if (batch.length > 1) {
            for (const merge of batch) await this.#mergeAlone(merge);
            return;
          }
          if (!(error instanceof CheckoutInTheWay)) throw error;
          outcomes[0] = { kind: 'waiting', reason: error.message };
        }
      }
      for (const [index, merge] of batch.entries()) merge.resolve(outcomes[index]!);
    } catch (error) {
      this.#lineage.forget();
      for (const merge of batch) merge.reject(error);
    }
  }

  async #mergeAlone(merge: WaitingMerge): Promise<void> {
    try {
      const main = await this.#defaultHead();
      const outcome = await this.#mergeOnto(main, merge.head, merge.message);
      if (outcome.kind === 'merged' && outcome.commit !== main)
        await this.#moveDefaultBranch(main, outcome.commit);
      merge.resolve(outcome);
    } catch (error) {
      this.#lineage.forget();
      if (error instanceof CheckoutInTheWay) merge.resolve({ kind: 'waiting', reason: error.message });
      else merge.reject(error);
    }
  }

  /**
   * The merge commit of `head` onto `main` (which nothing moves yet), or why there is none. A task
   * branch of this forge's own, merged where the default branch changed other files, is merged
   * here from the trees; anything else goes through `git merge-tree`.
   */
  async #mergeOnto(main: string, head: string, message: string): Promise<MergeOutcome> {
    const fork = await this.#forkPoint(head);
    const mainTree = await this.#treeOf(main);
    let tree: string | undefined;
    if (fork) {
      const [baseTree, headTree] = await Promise.all([this.#treeOf(fork.base), this.#treeOf(head)]);
      tree = await mergeTrees(this.#objects, baseTree, mainTree, headTree);
    }
    if (tree === undefined) {
      const merged = await runGit(this.#root, [
        'merge-tree',
        '--write-tree',
        '--name-only',
        '--no-messages',
        main,
        head,
      ]);
      if (merged.code === 1) {
        return { kind: 'conflict', paths: merged.stdout.trim().split('\n').slice(1).filter(Boolean) };
      }
      if (merged.code !== 0)
        throw new FactoryError('forge', `git merge-tree failed: ${merged.stderr.trim()}`);
      tree = merged.stdout.trim().split('\n')[0]!;
    }
    // Merged already, by a run that stopped before it could say so: asked only when the merge
    // would change nothing, which is rare, so the usual merge starts no git process.
    if (
      tree === mainTree &&
      (await runGit(this.#root, ['merge-base', '--is-ancestor', head, main])).code === 0
    ) {
      return { kind: 'merged', commit: main };
    }
    const commit = await this.#commitTree(tree, [main, head], `${message.trim()}\n`, this.#committer);
    if (fork) this.#lineage.adopt([...fork.chain, commit]);
    // A branch this forge did not make brings in history it does not know.
    else this.#lineage.forget();
    return { kind: 'merged', commit };
  }

  #forkPoint(head: string): Promise<ForkPoint | undefined> {
    return this.#lineage.forkPoint(head, (commit) => this.#objects.parents(commit));
  }

  async #treeOf(commit: string): Promise<string> {
    const tree = await this.#objects.resolve(`${commit}^{tree}`);
    if (tree === undefined) throw new FactoryError('forge', `commit ${commit} has no tree`);
    return tree;
  }

  async readFile(path: string, ref?: string): Promise<string | undefined> {
    const revision = ref ?? `refs/heads/${this.#defaultBranch}`;
    const object = await this.#objects.read(`${revision}:${path}`);
    return object?.type === 'blob' ? object.content.toString('utf8') : undefined;
  }

  async commitToDefaultBranch(input: DefaultBranchCommit): Promise<DefaultBranchOutcome> {
    return this.#lock.run(async () => {
      await this.#recoverCheckout();
      const main = await this.#defaultHead();
      const tree = await this.#objects.treeWith(main, input.changes);
      if (tree === (await this.#objects.resolve(`${main}^{tree}`))) return { kind: 'unchanged' };
      const commit = await this.#commitTree(tree, [main], `${input.message.trim()}\n`, input.author);
      await this.#moveDefaultBranch(main, commit);
      return { kind: 'committed', commit };
    });
  }

  async inspectPaths(paths: readonly string[], ref?: string): Promise<ReadonlyMap<string, TreeMode>> {
    const commit = ref === undefined ? await this.#defaultHead() : await this.#resolve(ref);
    if (commit === undefined) return new Map();
    const entries = await this.#objects.entriesAt(commit, paths);
    if (ref !== undefined || !(await this.#defaultIsCheckedOut())) return entries;
    return new Map([...entries, ...(await checkoutLinks(this.#root, paths, entries))]);
  }

  async ignoredPaths(paths: readonly string[]): Promise<string[]> {
    return ignoredInCheckout(this.#root, paths, { bare: this.#bare });
  }

  /** Ends the long-lived git process; the forge starts it again if used once more. */
  close(): void {
    this.#objects.close();
    this.#refs.close();
  }

  #resolve(ref: string): Promise<string | undefined> {
    return this.#objects.resolve(`${ref}^{commit}`);
  }

  async #defaultHead(): Promise<string> {
    const head = await this.#resolve(`refs/heads/${this.#defaultBranch}`);
    if (head === undefined)
      throw new FactoryError('forge', `the default branch ${this.#defaultBranch} is gone`);
    return head;
  }

  #commitTree(tree: string, parents: readonly string[], message: string, author: Author): Promise<string> {
    return this.#objects.writeCommit({ tree, parents, message, author, committer: this.#committer });
  }

  /** Whether the default branch is checked out here. */
  async #defaultIsCheckedOut(): Promise<boolean> {
    if (this.#bare) return false;
    return headPointsAt(this.#dirs.gitDir, `refs/heads/${this.#defaultBranch}`);
  }

  /**
   * Moves the default branch from `from` to `to` (compare-and-swap). When it is checked out, the
   * index and working tree follow like a fast-forward, or nothing moves at all.
   */
  async #moveDefaultBranch(from: string, to: string): Promise<void> {
    const ref = `refs/heads/${this.#defaultBranch}`;
    if (!(await this.#defaultIsCheckedOut())) {
      await this.#moveRef(ref, from, to);
      return;
    }
    // The checkout and the ref move in two steps; the marker lets the next run finish or undo
    // a move that a crash cut in half (see #recoverCheckout).
    await writeJsonAtomically(this.#checkoutMarker, { from, to });
    const checkout = await lockedGit(this.#root, this.#dirs, ['read-tree', '-m', '-u', from, to]);
    if (checkout.code !== 0) {
      await rm(this.#checkoutMarker, { force: true });
      const paths = await this.#uncommittedAmong(from, to);
      const what =
        paths.length > 0
          ? `uncommitted changes to ${listed(paths)}`
          : `uncommitted changes (${checkout.stderr.trim().split('\n')[0]})`;
      throw new CheckoutInTheWay(
        `the checkout of ${this.#defaultBranch} has ${what} that the merge would overwrite; commit or stash them first`,
      );
    }
    const refused = await this.#moveRef(ref, from, to).then(
      () => undefined,
      (error: Error) => error,
    );
    if (refused) {
      await lockedGit(this.#root, this.#dirs, ['read-tree', '-m', '-u', to, from]);
      await rm(this.#checkoutMarker, { force: true });
      throw new FactoryError(
        'forge',
        `the merge could not move ${this.#defaultBranch} (${refused.message}); it will be retried next run`,
      );
    }
    await rm(this.#checkoutMarker, { force: true });
  }

  /**
   * The paths a move of the checkout from `from` to `to` changes that the person changed too
   * (modified, staged, or untracked and not ignored): those the move would overwrite.
   */
  async #uncommittedAmong(from: string, to: string): Promise<string[]> {
    const moved = (await git(this.#root, ['diff-tree', '-r', '-z', '--name-only', from, to]))
      .split('\0')
      .filter(Boolean);
    if (moved.length === 0) return [];
    const status = await runGit(this.#root, [
      '--no-optional-locks',
      'status',
      '--porcelain=v1',
      '-z',
      '--untracked-files=all',
      '--no-renames',
      '--',
      ...moved.map((path) => `:(literal)${path}`),
    ]);
    return status.stdout
      .split('\0')
      .filter(Boolean)
      .map((entry) => entry.slice(3))
      .sort();
  }

  /** Moves `ref` from `from` to `to` and tells the lineage, which a refusal leaves to git. */
  async #moveRef(ref: string, from: string, to: string): Promise<void> {
    this.#lineage.moving(to);
    try {
      await this.#refs.move(ref, to, from);
    } catch (error) {
      this.#lineage.forget();
      throw error;
    }
    this.#lineage.moved(from, to);
  }

  /**
   * Whether the checkout's file at `path` is the start of one of `blobs`, or empty: git opens a
   * file before it writes it, so a run killed between the two leaves it so, and it is not a
   * person's.
   */
  async #cutShort(path: string, blobs: readonly (string | undefined)[]): Promise<boolean> {
    const file = join(this.#root, path);
    if (
      !(await lstat(file).then(
        (stats) => stats.isFile(),
        () => false,
      ))
    )
      return false;
    const bytes = await readFile(file);
    for (const blob of blobs) {
      const content = blob === undefined ? undefined : (await this.#objects.read(blob))?.content;
      if (content && bytes.length < content.length && content.subarray(0, bytes.length).equals(bytes))
        return true;
    }
    return false;
  }

  get #checkoutMarker(): string {
    return join(this.#dirs.gitDir, 'aifactory', 'checkout.json');
  }

  /**
   * Finishes or undoes a move of the checked-out default branch that a crash interrupted: when
   * the index already holds the new content of every path the move changes, the ref is moved
   * forward; otherwise any of those files left with the factory's own content (old or new) is
   * restored from the index, and the ref stays. The user's own edits are never overwritten.
   */
  async #recoverCheckout(): Promise<void> {
    const text = await readFile(this.#checkoutMarker, 'utf8').catch(() => undefined);
    if (text === undefined) return;
    // The ids go to git as arguments: only commit ids pass, never an option.
    const { from, to } = parseStoredJson(
      text,
      CheckoutMoveSchema,
      this.#checkoutMarker,
      `a move of ${this.#defaultBranch} was interrupted; check \`git status\` in the repository, then remove the file`,
    );
    const ref = `refs/heads/${this.#defaultBranch}`;
    if ((await this.#resolve(ref)) === from) {
      const changed = (await git(this.#root, ['diff-tree', '-r', '-z', '--name-only', from, to]))
        .split('\0')
        .filter(Boolean);
      const indexAtTo = await runGit(this.#root, ['diff-index', '--cached', '--quiet', to, '--', ...changed]);
      if (indexAtTo.code === 0) {
        // A refusal is left alone, as before: what follows reads the branch where it is.
        await this.#refs.move(ref, to, from).catch(() => undefined);
      } else {
        for (const path of changed) {
          const current = await runGit(this.#root, ['hash-object', '--', path]);
          const ours = await Promise.all(
            [from, to].map(async (tree) =>
              (await runGit(this.#root, ['rev-parse', `${tree}:${path}`])).stdout.trim(),
            ),
          );
          const [inFrom, inTo] = ours.map((blob) =>
            /^[0-9a-f]{40,64}$/.test(blob ?? '') ? blob : undefined,
          );
          if (
            current.code === 0 &&
            current.stdout.trim() !== inFrom &&
            current.stdout.trim() !== inTo &&
            !(await this.#cutShort(path, [inFrom, inTo]))
          )
            continue;
          if (inFrom) await runGit(this.#root, ['checkout-index', '-f', '--', path]);
          else await rm(join(this.#root, path), { force: true });
        }
      }
    }
    await rm(this.#checkoutMarker, { force: true });
  }

  async #runChecks(command: string, head: string): Promise<CheckReport> {
    const dir = await mkdtemp(join(tmpdir(), 'aifactory-checks-'));
    // Named after its unique folder, so that concurrent checks never contend for git's name.
    const worktree = join(dir, basename(dir));
    try {
      // Adding, removing and pruning worktrees one at a time: a prune while another check's
      // worktree is half made removes its administrative files.
      await this.#worktrees.run(() => git(this.#root, ['worktree', 'add', '--detach', worktree, head]));
      const { code, output } = await this.#sandbox.run({
        command,
        tree: worktree,
        timeoutMs: this.#checks.timeoutSeconds * 1000,
        hide: [this.#root, this.#dirs.commonDir, this.#dirs.gitDir],
      });
      const tail = output.length > CHECK_OUTPUT_CHARS ? output.slice(-CHECK_OUTPUT_CHARS) : output;
      return code === 0 ? { state: 'passed', output: tail } : { state: 'failed', output: tail };
    } finally {
      // Removed without git: the check may have rewritten the worktree's `.git` file to point at a
      // git folder of its own, whose config would run its commands in the factory's git.
      await this.#worktrees.run(async () => {
        await rm(dir, { recursive: true, force: true });
        await runGit(this.#root, ['worktree', 'prune']);
      });
    }
  }

  async #toPullRequest(record: PullRecord): Promise<PullRequest> {
    const branchHead = await this.#resolve(`refs/heads/${record.branch}`);
    const head = branchHead ?? record.head;
    let state = record.state;
    // A person merges (`git merge`) or drops (`git branch -D`) a pull request with plain git,
    // outside the factory: a held one, or any other whose branch is gone. (One merged by hand
    // whose branch stays merges again as a no-op.) Asked only then: it costs a git process.
    if (state === 'open' && (branchHead === undefined || record.labels.includes(HOLD_LABEL))) {
      const merged = await runGit(this.#root, [
        'merge-base',
        '--is-ancestor',
        head,
        await this.#defaultHead(),
      ]);
      if (merged.code === 0) state = 'merged';
      else if (branchHead === undefined) state = 'closed';
    }
    const gone = state === 'closed' && branchHead === undefined;
    return {
      number: record.number,
      branch: record.branch,
      url: null,
      state,
      head,
      ...(gone ? { headGone: true as const } : {}),
    };
  }
}

/**
 * A move of the checked-out default branch refused because the person's uncommitted work is in
 * its way: a merge waits for them (an outcome), a state commit fails with the message.
 */
class CheckoutInTheWay extends FactoryError {
  constructor(message: string) {
    super('forge', message);
  }
}

/** A merge asked for, and who waits for its outcome. */
interface WaitingMerge {
  head: string;
  message: string;
  resolve: (outcome: MergeOutcome) => void;
  reject: (error: unknown) => void;
}

/** Options of the local forge. */
export interface LocalForgeOptions {
  root: string;
  defaultBranch: string;
  /**
   * `command` runs on each pull request head in a separate worktree; none means green. It runs in
   * `sandbox` (default: the isolating one, see sandbox.ts).
   */
  checks?: { command?: string; timeoutSeconds: number; sandbox?: CheckSandbox };
  committer?: Author;
}

export function createLocalForge(options: LocalForgeOptions): Promise<LocalForge> {
  return LocalForge.open(options);
}
