// The github forge: branches, commits, pull requests, reviews, checks and merges through GitHub's APIs.
import { FactoryError, isTransient } from '../../core/errors.ts';
import type { TreeMode } from '../../core/path-tree.ts';
import { taskOfBranch } from '../../core/record/record-ops.ts';
import { revertedIn } from '../../core/status/model-stats.ts';
import type { CiRun } from '../../core/status/snapshot-schema.ts';
import { FACTORY_COMMITTER, withTrailers } from '../commit-message.ts';
import { ignoredInCheckout } from '../local/path-inspection.ts';
import type {
  Author,
  ChangedFile,
  CheckReport,
  DefaultBranchCommit,
  DefaultBranchOutcome,
  Forge,
  ForgeReports,
  IterationPush,
  LandedCommit,
  MergeOutcome,
  PostedReview,
  PullRequest,
} from '../types.ts';
import { readCheckLists, type StatusData } from './check-lists.ts';
import { CHECKS_STATUS_CONTEXT, type CheckRunView, judgeChecks, logTail, type StatusView } from './checks.ts';
import { CiState } from './ci-state.ts';
import {
  attempt,
  type ClientOptions,
  createClient,
  type GitHubClient,
  gitHubMessage,
  statusOf,
  toFactoryError,
  WriteBudget,
} from './client.ts';
import type { GitHubConfig } from './config.ts';
import { CiDispatch } from './dispatch.ts';
import { GitData } from './git-data.ts';
import { autoMerge, disarmAutoMerge, mergeMethodOf, type RepoInfo } from './merge.ts';
import { Reviews } from './review-poster.ts';
import { REVIEW_STATUS_CONTEXT } from './reviews.ts';
import { runChecksOnCommit, type SelfChecks } from './self-checks.ts';
import { type GitHubAccount, signatureOf, statusContent, Trust } from './trust.ts';

/** Writes one run may make before it stops for the next run (about 5–8 per task iteration). */
export const DEFAULT_WRITE_BUDGET = 400;
/** Failed jobs whose logs are read per check (each is a download). */
const MAX_JOB_LOGS = 3;
/** Retries of a commit to the default branch that lost a race with another writer. */
const DEFAULT_BRANCH_RETRIES = 3;
/**
 * Waits, in seconds, before listing again a pull request GitHub does not list yet although this
 * forge saw it: GitHub's lists can lag its writes by a moment. Scaled like retry-after.
 */
const LIST_LAG_WAITS = [0.25, 0.5, 1, 2];
/** "List pull requests files" stops at this many files (GitHub's docs); a longer change is compared by trees. */
const LISTED_FILES_CAP = 3000;

/** Options of the github forge: the environment's settings plus knobs for tests. */
export interface GitHubForgeOptions extends GitHubConfig {
  /** The configured default branch; GitHub's own answer (repos/get) wins when they differ. */
  defaultBranch?: string;
  /** The clone the run works from, whose ignore rules `ignoredPaths` applies. */
  checkout?: string;
  committer?: Author;
  writeBudget?: number;
  /**
   * Whether checks are expected on every head (config `checks.required`, or a `checks.command`);
   * default true: a head on which none was seen is never merged automatically. Branch
   * protection's required checks mean checks are expected whatever this says.
   */
  checksExpected?: boolean;
  /**
   * The workflow file (`checks.workflow`) started with `workflow_dispatch` on each task branch
   * whose head has no run of it: for a set-up where the factory's pushes start no workflow (it
   * writes with GITHUB_TOKEN). The checks then run in the repository's CI, away from the factory's keys.
   */
  dispatchWorkflow?: string;
  /**
   * When set, the factory runs `checks.command` on each head itself and posts `aifactory/checks`
   * (config `checks.self_run`): model-written code then runs in the factory's own job.
   */
  selfChecks?: SelfChecks;
  /** Commits without author and committer, so GitHub signs them (config `github.signed_commits`). */
  signedCommits?: boolean;
  /** See ClientOptions: `throttle: false` and a small `retryAfterBaseValue` make tests fast. */
  client?: Pick<ClientOptions, 'retryAfterBaseValue' | 'throttle' | 'timeoutMs'>;
}

type PullData = {
  number: number;
  html_url: string;
  state: string;
  merged_at: string | null;
  head: { ref: string; sha: string; repo: { full_name: string } | null };
  user: GitHubAccount | null;
};

/** The statuses only the factory posts: they count only when it did (trust.ts). */
const OWN_CONTEXTS = new Set([CHECKS_STATUS_CONTEXT, REVIEW_STATUS_CONTEXT]);

function toPullRequest(pull: PullData): PullRequest {
  return {
    number: pull.number,
    branch: pull.head.ref,
    url: pull.html_url,
    state: pull.merged_at ? 'merged' : pull.state === 'open' ? 'open' : 'closed',
    head: pull.head.sha,
  };
}

/** The hidden line that keys a comment of `commentOnce`; keys are the factory's own, never model text. */
function commentMarker(key: string): string {
  return `<!-- aifactory:comment ${key.replace(/[^A-Za-z0-9._:-]/g, '_')} -->`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function jitter(attempt: number): Promise<void> {
  return sleep(50 * attempt + Math.random() * 100);
}

/**
 * The github forge: everything through GitHub's REST API (and GraphQL for auto-merge), with no
 * clone. Commits are made with the Git Data API, one per iteration; pull requests, reviews,
 * checks and merges are GitHub's own. The author token writes; reviews use the reviewer token
 * when there is one (GitHub refuses an approval from a pull request's author), else they are
 * COMMENT reviews with the verdict as the `aifactory/review` commit status.
 */
export class GitHubForge implements Forge, ForgeReports {
  readonly id = 'github' as const;
  readonly #config: GitHubForgeOptions;
  readonly #repo: { owner: string; repo: string };
  readonly #octokit: GitHubClient;
  readonly #git: GitData;
  readonly #reviews: Reviews;
  readonly #committer: Author;
  /** The write budget both identities share, for this run. */
  readonly writes: WriteBudget;
  readonly #trust: Trust;
  #info: Promise<RepoInfo> | undefined;
  /** The pull request this forge opened or found for each branch in this run: it cannot vanish. */
  readonly #seen = new Map<string, number>();
  #required: Promise<string[]> | undefined;
  readonly #ci: CiState;
  readonly #dispatch: CiDispatch | undefined;

  constructor(config: GitHubForgeOptions) {
    this.#config = config;
    this.#repo = { owner: config.owner, repo: config.repo };
    this.writes = new WriteBudget(config.writeBudget ?? DEFAULT_WRITE_BUDGET);
    const client = (token: string) =>
      createClient({
        ...(config.throttle === false ? { throttle: false } : {}),
        ...config.client,
        baseUrl: config.apiUrl,
        token,
        writes: this.writes,
      });
    this.#octokit = client(config.authorToken);
    this.#git = new GitData(this.#octokit, this.#repo);
    this.#ci = new CiState(this.#octokit, this.#repo);
    this.#dispatch =
      config.dispatchWorkflow === undefined
        ? undefined
        : new CiDispatch(this.#octokit, this.#repo, config.dispatchWorkflow);
    this.#committer = config.committer ?? FACTORY_COMMITTER;
    const reviewer = config.reviewerToken ? client(config.reviewerToken) : undefined;
    this.#trust = new Trust(
      reviewer ? [this.#octokit, reviewer] : [this.#octokit],
      config.graphqlUrl,
      this.#repo,
      config.signingKey,
    );
    this.#reviews = new Reviews(this.#octokit, reviewer, this.#repo, this.#trust);
  }

  /** Whether this forge runs `checks.command` itself and posts `aifactory/checks` (see `selfChecks`). */
  get runsChecksItself(): boolean {
    return this.#config.selfChecks !== undefined;
  }

  /** The workflow this forge starts on task branches with `workflow_dispatch`, if any (see `dispatchWorkflow`). */
  get dispatchedWorkflow(): string | undefined {
    return this.#dispatch?.workflow;
  }

  /** The repository's default branch and merge settings, read once per run. */
  #repoInfo(): Promise<RepoInfo> {
    this.#info ??= attempt(`reading repository ${this.#repo.owner}/${this.#repo.repo}`, async () => {
      const { data } = await this.#octokit.rest.repos.get(this.#repo);
      return {
        defaultBranch: data.default_branch,
        allowMergeCommit: data.allow_merge_commit !== false,
        allowSquashMerge: data.allow_squash_merge !== false,
        allowRebaseMerge: data.allow_rebase_merge !== false,
        allowAutoMerge: data.allow_auto_merge === true,
      };
    }).catch((error: unknown) => {
      this.#info = undefined;
      throw error;
    });
    return this.#info;
  }

  async #defaultHead(): Promise<{ branch: string; head: string }> {
    const { defaultBranch } = await this.#repoInfo();
    const head = await this.#git.head(defaultBranch);
    if (head === undefined) {
      throw new FactoryError(
        'forge',
        `the default branch ${defaultBranch} has no commit on GitHub; push one first`,
      );
    }
    return { branch: defaultBranch, head };
  }

  async findPullRequest(branch: string): Promise<PullRequest | undefined> {
    const seen = this.#seen.get(branch);
    for (const wait of [0, ...LIST_LAG_WAITS]) {
      if (wait > 0) await sleep(wait * (this.#config.client?.retryAfterBaseValue ?? 1000));
      const found = await this.#listPullRequest(branch);
      if (found) {
        this.#seen.set(branch, found.number);
        return found;
      }
      if (seen === undefined) return undefined;
    }
    // GitHub never deletes a pull request: one this run saw and cannot list is a read that lags.
    throw new FactoryError(
      'server',
      `GitHub does not list pull request #${seen} of ${branch} a moment after the factory saw it; the task continues next run`,
    );
  }

  async #listPullRequest(branch: string): Promise<PullRequest | undefined> {
    const pulls = await attempt(`looking for the pull request of ${branch}`, () =>
      this.#octokit.paginate(this.#octokit.rest.pulls.list, {
        ...this.#repo,
        head: `${this.#repo.owner}:${branch}`,
        state: 'all',
        per_page: 100,
      }),
    );
    // GitHub ignores a `head` it cannot parse and lists every pull request (argoproj-labs/gitops-promoter#1417);
    // and a pull request from a fork, or opened by anyone else, may carry the task's branch name.
    const here = `${this.#repo.owner}/${this.#repo.repo}`.toLowerCase();
    const candidates = pulls.filter(
      (pull) => pull.head.ref === branch && pull.head.repo?.full_name.toLowerCase() === here,
    );
    const mine: PullRequest[] = [];
    for (const pull of candidates) if (await this.#trust.isOwn(pull.user)) mine.push(toPullRequest(pull));
    const rank = (pr: PullRequest) => (pr.state === 'open' ? 0 : pr.state === 'merged' ? 1 : 2);
    const found = mine.sort((a, b) => rank(a) - rank(b) || b.number - a.number)[0];
    // Deleting a pull request's branch closes it: whether the branch is gone is a person's decision too.
    if (found?.state === 'closed' && (await this.#git.head(branch)) === undefined) found.headGone = true;
    return found;
  }

  async pushIteration(input: IterationPush): Promise<string> {
    const message = withTrailers(input.message, input.trailers);
    // One rebuild when another writer moved the branch between our read and our write.
    for (let round = 0; ; round += 1) {
      const head = await this.#git.head(input.branch);
      const base = head === undefined || input.restart ? (await this.#defaultHead()).head : head;
      const tree = await this.#git.treeWith(await this.#git.treeOf(base), input.changes, input.deletions);
      if (head !== undefined && tree === (await this.#git.treeOf(head))) return head;
      const commit = await this.#git.commit({
        tree,
        parents: [base],
        message,
        author: input.author,
        committer: this.#committer,
        signed: this.#config.signedCommits === true,
      });
      const moved = await this.#git.setBranch(input.branch, commit, head, input.restart === true);
      if (moved === 'moved') return commit;
      // Once re-read and rebuilt; a second loss is no verdict on the task: it pauses for the next run.
      if (round >= 1) {
        throw new FactoryError(
          'race',
          `branch ${input.branch} kept moving while the factory pushed to it (another writer, or GitHub's answer 409); the task continues next run`,
        );
      }
    }
  }

  async openPullRequest(input: { branch: string; title: string; body: string }): Promise<PullRequest> {
    const existing = await this.findPullRequest(input.branch);
    if (existing?.state === 'closed') {
      const reopened = await this.#reopen(existing, input);
      if (reopened) return reopened;
    } else if (existing) return existing;
    const { defaultBranch } = await this.#repoInfo();
    try {
      const { data } = await this.#octokit.rest.pulls.create({
        ...this.#repo,
        head: input.branch,
        base: defaultBranch,
        title: input.title,
        body: input.body,
      });
      this.#seen.set(input.branch, data.number);
      return toPullRequest(data);
    } catch (error) {
      // A run that crashed after GitHub opened it (saadmk11/github-actions-version-updater#40).
      if (statusOf(error) === 422 && /already exists/i.test(gitHubMessage(error))) {
        const found = await this.findPullRequest(input.branch);
        if (found) return found;
        // GitHub says one exists, yet none the factory opened is listed: another author's pull
        // request holds the branch (it is not the task's), or the list lags a write. Either way the task waits.
        throw new FactoryError(
          'server',
          `GitHub says an open pull request for ${input.branch} exists, but none the factory opened is listed: if someone else's pull request holds the branch, close it; otherwise GitHub's list lags. The task continues next run`,
          { cause: error },
        );
      }
      throw toFactoryError(error, `opening a pull request for ${input.branch}`);
    }
  }

  /** Reopens a pull request closed without merging; undefined when GitHub will not (its branch was recreated). */
  async #reopen(pr: PullRequest, input: { title: string; body: string }): Promise<PullRequest | undefined> {
    try {
      const { data } = await this.#octokit.rest.pulls.update({
        ...this.#repo,
        pull_number: pr.number,
        state: 'open',
        title: input.title,
        body: input.body,
      });
      return toPullRequest(data);
    } catch (error) {
      if (statusOf(error) === 422) return undefined;
      throw toFactoryError(error, `reopening pull request #${pr.number}`);
    }
  }

  async commentOnce(pr: PullRequest, key: string, body: string): Promise<void> {
    const marker = commentMarker(key);
    const comments = await attempt(`reading the comments of pull request #${pr.number}`, () =>
      this.#octokit.paginate(this.#octokit.rest.issues.listComments, {
        ...this.#repo,
        issue_number: pr.number,
        per_page: 100,
      }),
    );
    for (const comment of comments) {
      // Anyone can copy the marker: only the factory's own comment means it was said.
      if (comment.body?.includes(marker) && (await this.#trust.isOwn(comment.user))) return;
    }
    await attempt(`commenting on pull request #${pr.number}`, () =>
      this.#octokit.rest.issues.createComment({
        ...this.#repo,
        issue_number: pr.number,
        body: `${body.trim()}\n\n${marker}\n`,
      }),
    );
  }

  async closePullRequest(pr: PullRequest): Promise<void> {
    const { data } = await attempt(`reading pull request #${pr.number}`, () =>
      this.#octokit.rest.pulls.get({ ...this.#repo, pull_number: pr.number }),
    );
    if (data.state !== 'open') return;
    await attempt(`closing pull request #${pr.number}`, () =>
      this.#octokit.rest.pulls.update({ ...this.#repo, pull_number: pr.number, state: 'closed' }),
    );
  }

  async addReview(pr: PullRequest, review: PostedReview): Promise<void> {
    if (await this.findReview(pr, review)) return;
    const diffPaths = new Set(
      (await this.changedFiles(pr)).filter((file) => file.status !== 'deleted').map((file) => file.path),
    );
    await this.#reviews.post(pr, review, diffPaths);
  }

  findReview(pr: PullRequest, at: { commit: string; iteration: number }): Promise<PostedReview | undefined> {
    return this.#reviews.find(pr, at);
  }

  async changedFiles(pr: PullRequest): Promise<ChangedFile[]> {
    const files = await attempt(`listing the files of pull request #${pr.number}`, () =>
      this.#octokit.paginate(this.#octokit.rest.pulls.listFiles, {
        ...this.#repo,
        pull_number: pr.number,
        per_page: 100,
      }),
    );
    if (files.length >= LISTED_FILES_CAP) return this.#comparedTrees(pr);
    const changed: ChangedFile[] = [];
    for (const file of files) {
      if (file.status === 'renamed') {
        // As `git diff --no-renames` does in the local forge: the old path goes, the new one comes.
        if (file.previous_filename) changed.push({ path: file.previous_filename, status: 'deleted' });
        changed.push({ path: file.filename, status: 'added' });
      } else if (file.status === 'added' || file.status === 'copied') {
        changed.push({ path: file.filename, status: 'added' });
      } else if (file.status === 'removed') {
        changed.push({ path: file.filename, status: 'deleted' });
      } else {
        changed.push({ path: file.filename, status: 'modified' });
      }
    }
    return changed;
  }

  /**
   * The whole change of a pull request too long for GitHub's list of its files: the recursive
   * trees of its merge base and its head, compared path by path.
   * @throws FactoryError (`control_plane`) when GitHub cuts a tree short: no complete list, so a
   * person decides on the change.
   */
  async #comparedTrees(pr: PullRequest): Promise<ChangedFile[]> {
    const { defaultBranch } = await this.#repoInfo();
    const { data } = await attempt(`comparing ${defaultBranch} with pull request #${pr.number}`, () =>
      this.#octokit.rest.repos.compareCommitsWithBasehead({
        ...this.#repo,
        basehead: `${defaultBranch}...${pr.head}`,
        per_page: 1,
      }),
    );
    const [before, after] = await Promise.all([
      this.#git.files(data.merge_base_commit.sha),
      this.#git.files(pr.head),
    ]);
    if (!before || !after) {
      throw new FactoryError(
        'control_plane',
        `pull request #${pr.number} changes more than ${LISTED_FILES_CAP} files and GitHub cut its tree short (past 100,000 entries or 7 MB), so the factory cannot see the whole change: a person reviews and merges it`,
      );
    }
    const changed: ChangedFile[] = [];
    for (const [path, entry] of after) {
      const old = before.get(path);
      if (!old) changed.push({ path, status: 'added' });
      else if (old.sha !== entry.sha || old.mode !== entry.mode) changed.push({ path, status: 'modified' });
    }
    for (const path of before.keys()) if (!after.has(path)) changed.push({ path, status: 'deleted' });
    return changed.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async labelPullRequest(pr: PullRequest, labels: readonly string[]): Promise<void> {
    if (labels.length === 0) return;
    await attempt(`labelling pull request #${pr.number}`, () =>
      this.#octokit.rest.issues.addLabels({ ...this.#repo, issue_number: pr.number, labels: [...labels] }),
    );
  }

  async readChecks(pr: PullRequest): Promise<CheckReport> {
    const ref = pr.head;
    const required = await this.#requiredChecks();
    const expected = this.#config.checksExpected !== false || required.length > 0;
    // Started before the lists are read, so a run GitHub creates at once is seen in this read.
    const started = expected
      ? await this.#dispatch?.start(pr.branch, ref, async () =>
          (await this.changedFiles(pr)).some((file) => file.path.startsWith('.github/')),
        )
      : undefined;
    const lists = await readCheckLists(this.#octokit, this.#repo, ref);
    // Read every page, or refuse to decide (issue 18): a part of a list is no verdict.
    if (!lists.complete) return { state: 'pending', output: lists.reason };
    const { runs } = lists;
    const statuses: StatusView[] = await this.#countedStatuses(ref, lists.statuses);
    const outputs = new Map<string, string>();
    const self = this.#config.selfChecks;
    if (self && !statuses.some((status) => status.context === CHECKS_STATUS_CONTEXT)) {
      const result = await runChecksOnCommit(this.#octokit, this.#repo, ref, self, (content) =>
        this.#trust.sign(content),
      );
      statuses.push({ context: CHECKS_STATUS_CONTEXT, state: result.state, description: null });
      outputs.set(CHECKS_STATUS_CONTEXT, result.output);
    }
    this.#ci.observe(taskOfBranch(pr.branch), ref, runs, statuses);
    const logs = await this.#failedJobLogs(runs);
    return judgeChecks(runs, statuses, {
      logs,
      outputs,
      required,
      expected,
      head: ref,
      ...(started?.kind === 'refused' ? { note: started.reason } : {}),
    });
  }

  /**
   * The latest status of each context among those that count (newest first, as GitHub lists
   * them): the factory's own contexts only from the factory (trust.ts), others only from an App,
   * a workflow or a person with write access. GitHub's combined status shows the latest of each
   * context whoever posted it, so a stranger's `aifactory/checks` would hide the factory's.
   */
  async #countedStatuses(sha: string, listed: readonly StatusData[]): Promise<StatusData[]> {
    const latest = new Map<string, StatusData>();
    for (const status of listed) {
      if (latest.has(status.context)) continue;
      const counts = OWN_CONTEXTS.has(status.context)
        ? await this.#trust.isOwnMark(
            status.creator,
            statusContent(sha, status.context, status.state),
            signatureOf(status.description),
          )
        : await this.#trust.maySteer(status.creator);
      if (counts) latest.set(status.context, status);
    }
    return [...latest.values()];
  }

  /**
   * The checks branch protection requires on the default branch, read once per run. A token that
   * may not read the branch's protection sees none: GitHub's merge still enforces them.
   */
  #requiredChecks(): Promise<string[]> {
    this.#required ??= (async () => {
      const { defaultBranch } = await this.#repoInfo();
      try {
        const { data } = await this.#octokit.rest.repos.getBranch({ ...this.#repo, branch: defaultBranch });
        return data.protection?.required_status_checks?.contexts ?? [];
      } catch (error) {
        const status = statusOf(error);
        if (status === 403 || status === 404) return [];
        this.#required = undefined;
        throw toFactoryError(error, `reading the protection of ${defaultBranch}`);
      }
    })();
    return this.#required;
  }

  /**
   * The end of each failed GitHub Actions job's log, by check run name, where the token may read
   * it (`actions: read`); a log it may not read, or that is gone, is left out.
   */
  async #failedJobLogs(runs: readonly CheckRunView[]): Promise<Map<string, string>> {
    const logs = new Map<string, string>();
    const failed = runs.filter(
      (run) =>
        run.app?.slug === 'github-actions' &&
        run.id !== undefined &&
        run.status === 'completed' &&
        !['success', 'neutral', 'skipped'].includes(run.conclusion ?? ''),
    );
    for (const run of failed.slice(0, MAX_JOB_LOGS)) {
      try {
        const { data } = await this.#octokit.rest.actions.downloadJobLogsForWorkflowRun({
          ...this.#repo,
          job_id: run.id!,
        });
        const text = typeof data === 'string' ? data : Buffer.from(data as ArrayBuffer).toString('utf8');
        logs.set(run.name, logTail(text));
      } catch (error) {
        // Only an outage is worth a retry later; a log the token may not read is simply left out.
        const failure = toFactoryError(error, `reading the log of ${run.name}`);
        if (isTransient(failure)) throw failure;
      }
    }
    return logs;
  }

  /** GitHub keeps the CI runs and the default branch's history the dashboard shows: this forge reads them. */
  get reports(): ForgeReports {
    return this;
  }

  /** Holds nothing open between calls: the API client needs no closing. */
  close(): void {}

  /**
   * The CI state for the dashboard: the checks this run read for each task, and the latest run of
   * each workflow.
   */
  ciRuns(): Promise<{ runs: CiRun[]; warning?: string }> {
    return this.#ci.collect();
  }

  async landedCommits(since: string, limit: number): Promise<LandedCommit[]> {
    const { defaultBranch } = await this.#repoInfo();
    const read: Array<Required<LandedCommit> & { parent: string | undefined }> = [];
    await attempt(`listing the commits of ${defaultBranch}`, () =>
      this.#octokit.paginate(
        this.#octokit.rest.repos.listCommits,
        { ...this.#repo, sha: defaultBranch, since, per_page: 100 },
        (response, done) => {
          for (const { sha, parents, commit } of response.data) {
            const date = commit.committer?.date ?? commit.author?.date ?? '';
            read.push({
              sha,
              parent: parents[0]?.sha,
              day: date.slice(0, 10),
              subject: commit.message.split('\n')[0] ?? '',
              reverts: revertedIn(commit.message),
            });
          }
          if (read.length >= limit) done();
          return [];
        },
      ),
    );
    // The branch's own line: from its head along first parents (a pull request's commits are off it).
    const bySha = new Map(read.map((commit) => [commit.sha, commit]));
    const landed: LandedCommit[] = [];
    for (let commit = read[0]; commit; commit = commit.parent ? bySha.get(commit.parent) : undefined) {
      const { parent: _, ...fields } = commit;
      landed.push(fields);
    }
    return landed;
  }

  async merge(pr: PullRequest, input: { message: string; head: string }): Promise<MergeOutcome> {
    const { data: pull } = await attempt(`reading pull request #${pr.number}`, () =>
      this.#octokit.rest.pulls.get({ ...this.#repo, pull_number: pr.number }),
    );
    if (pull.merged) return { kind: 'merged', commit: pull.merge_commit_sha ?? pull.head.sha };
    if (pull.state !== 'open')
      return { kind: 'closed', headGone: (await this.#git.head(pr.branch)) === undefined };
    if (pull.head.sha !== input.head) return { kind: 'head_moved', head: pull.head.sha };
    // A conflict first: GitHub never merges a conflicting pull request, even with auto-merge armed.
    if (pull.mergeable === false && pull.mergeable_state === 'dirty') {
      // Back to the coder: an armed auto-merge would merge the next head before it is reviewed.
      if (pull.auto_merge) await disarmAutoMerge(this.#octokit, this.#config.graphqlUrl, pull.node_id);
      return { kind: 'conflict', paths: [] };
    }
    if (pull.auto_merge)
      return { kind: 'queued', reason: 'auto-merge is armed; GitHub merges when its requirements are met' };
    if (pull.mergeable === null) return { kind: 'waiting', reason: 'GitHub is computing mergeability' };
    const info = await this.#repoInfo();
    const method = mergeMethodOf(info);
    const [title, ...rest] = input.message.trim().split('\n');
    try {
      const { data } = await this.#octokit.rest.pulls.merge({
        ...this.#repo,
        pull_number: pr.number,
        sha: input.head,
        merge_method: method,
        commit_title: title ?? `Merge pull request #${pr.number}`,
        commit_message: rest.join('\n').trim(),
      });
      return { kind: 'merged', commit: data.sha };
    } catch (error) {
      const status = statusOf(error);
      if (status === 409) {
        const { data } = await attempt(`reading pull request #${pr.number}`, () =>
          this.#octokit.rest.pulls.get({ ...this.#repo, pull_number: pr.number }),
        );
        return { kind: 'head_moved', head: data.head.sha };
      }
      if (status !== 405) throw toFactoryError(error, `merging pull request #${pr.number}`);
      const refusal = gitHubMessage(error);
      if (!info.allowAutoMerge) return { kind: 'waiting', reason: refusal };
      return autoMerge(this.#octokit, this.#config.graphqlUrl, {
        nodeId: pull.node_id,
        method,
        head: input.head,
        refusal,
      });
    }
  }

  async readFile(path: string, ref?: string): Promise<string | undefined> {
    const at = ref ?? (await this.#repoInfo()).defaultBranch;
    try {
      const { data } = await this.#octokit.rest.repos.getContent({ ...this.#repo, path, ref: at });
      if (Array.isArray(data) || data.type !== 'file' || !('content' in data)) return undefined;
      return Buffer.from(data.content, 'base64').toString('utf8');
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw toFactoryError(error, `reading ${path} at ${at}`);
    }
  }

  async inspectPaths(paths: readonly string[], ref?: string): Promise<ReadonlyMap<string, TreeMode>> {
    const branch = ref ?? (await this.#repoInfo()).defaultBranch;
    const head = /^[0-9a-f]{40}$/.test(branch) ? branch : await this.#git.head(branch);
    const found = new Map<string, TreeMode>();
    if (head === undefined) return found;
    // One tree read per folder on the way, each read once: a recursive read is capped (100,000 entries).
    const folders = new Map<string, Promise<Map<string, { mode: TreeMode; sha: string }>>>();
    const read = (sha: string) => {
      let entries = folders.get(sha);
      if (!entries) {
        entries = this.#git.entries(sha);
        folders.set(sha, entries);
      }
      return entries;
    };
    const root = await this.#git.treeOf(head);
    for (const path of paths) {
      let tree: string | undefined = root;
      const parts = path.split('/');
      for (let depth = 0; depth < parts.length && tree !== undefined; depth += 1) {
        const entry = (await read(tree)).get(parts[depth]!);
        if (!entry) break;
        found.set(parts.slice(0, depth + 1).join('/'), entry.mode);
        tree = entry.mode === '040000' ? entry.sha : undefined;
      }
    }
    return found;
  }

  /**
   * The ignore rules of the clone the run works from (`checkout`), as the local forge reads them:
   * the clone holds the repository's `.gitignore` files and the person's own excludes, and a file
   * they keep out of git should not reach GitHub either. Without a clone, nothing is ignored:
   * GitHub holds no untracked files to protect.
   */
  async ignoredPaths(paths: readonly string[]): Promise<string[]> {
    return this.#config.checkout === undefined ? [] : ignoredInCheckout(this.#config.checkout, paths);
  }

  async commitToDefaultBranch(input: DefaultBranchCommit): Promise<DefaultBranchOutcome> {
    // The state commit comes after the tasks, which may have spent the write budget.
    return this.writes.outside(() => this.#commitToDefaultBranch(input));
  }

  async #commitToDefaultBranch(input: DefaultBranchCommit): Promise<DefaultBranchOutcome> {
    for (let round = 0; ; round += 1) {
      const { branch, head } = await this.#defaultHead();
      const base = await this.#git.treeOf(head);
      const tree = await this.#git.treeWith(base, input.changes);
      if (tree === base) return { kind: 'unchanged' };
      const commit = await this.#git.commit({
        tree,
        parents: [head],
        message: `${input.message.trim()}\n`,
        author: input.author,
        committer: this.#committer,
        signed: this.#config.signedCommits === true,
      });
      if ((await this.#git.setBranch(branch, commit, head, false)) === 'moved')
        return { kind: 'committed', commit };
      if (round >= DEFAULT_BRANCH_RETRIES) {
        throw new FactoryError(
          'race',
          `${branch} kept moving while the factory committed to it (${DEFAULT_BRANCH_RETRIES + 1} tries); it is retried next run`,
        );
      }
      await jitter(round + 1);
    }
  }
}

/** The github forge for `config`; reads nothing until its first call. */
export async function createGitHubForge(config: GitHubForgeOptions): Promise<GitHubForge> {
  return new GitHubForge(config);
}
