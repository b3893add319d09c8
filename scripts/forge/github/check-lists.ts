/** Reads every page of a commit's statuses and check runs, or says that GitHub's lists ended early. */
import { attempt, type GitHubClient } from './client.ts';

type Rest = GitHubClient['rest'];
/** A check run as GitHub lists it (the CI state keeps its head and times, the verdict the rest). */
export type CheckRunData = Awaited<ReturnType<Rest['checks']['listForRef']>>['data']['check_runs'][number];
/** A commit status as `GET commits/{ref}/statuses` lists it: every status, with who posted it. */
export type StatusData = Awaited<ReturnType<Rest['repos']['listCommitStatusesForRef']>>['data'][number];

/** The most a page holds; GitHub's default of 30 would only mean more requests. */
const PER_PAGE = 100;

/** Both lists of one commit, whole; or why they are not, so nothing is decided on a part. */
export type CheckLists =
  | { complete: true; runs: CheckRunData[]; statuses: StatusData[] }
  | { complete: false; reason: string };

/**
 * Every check run and every status of `sha` (each with its creator, newest first), following GitHub's Link headers page by page
 * (GITHUB-NOTES.md, "Lists come in pages"): a failure on the last page blocks a merge as surely as
 * one on the first. When the pages hold fewer entries than the `total_count` GitHub announced (the
 * lists changed between two pages), the lists are not complete, and no verdict is drawn from them.
 * @throws FactoryError from `attempt`: transient, `auth` (a missing `statuses`/`checks` permission).
 */
export async function readCheckLists(
  octokit: GitHubClient,
  repo: { owner: string; repo: string },
  sha: string,
): Promise<CheckLists> {
  const [statuses, runs] = await attempt(`reading the checks of ${sha}`, () =>
    Promise.all([allStatuses(octokit, repo, sha), allCheckRuns(octokit, repo, sha)]),
  );
  const short = [
    statuses.items.length < statuses.total ? `${statuses.items.length} of ${statuses.total} statuses` : '',
    runs.items.length < runs.total ? `${runs.items.length} of ${runs.total} check runs` : '',
  ].filter(Boolean);
  if (short.length > 0) {
    return {
      complete: false,
      reason: `GitHub listed only ${short.join(' and ')} of ${sha}; the checks are read again on the next run`,
    };
  }
  return { complete: true, runs: runs.items, statuses: statuses.items };
}

type Counted<T> = { items: T[]; total: number };

/** Every page's entries, and the `total_count` the first page announced. */
async function everyPage<T>(
  pages: AsyncIterable<{ data: unknown }>,
  read: (data: unknown) => Counted<T>,
): Promise<Counted<T>> {
  const items: T[] = [];
  let total: number | undefined;
  for await (const { data } of pages) {
    const page = read(data);
    total ??= page.total;
    items.push(...page.items);
  }
  return { items, total: total ?? 0 };
}

/**
 * Every status of `ref`, every page, newest first. Not the combined status: it keeps only the
 * latest status of each context, whoever posted it, and names no creator, so a stranger's later
 * status would hide the factory's (trust.ts decides which count). The list has no `total_count`;
 * the Link headers end it.
 */
async function allStatuses(
  octokit: GitHubClient,
  repo: { owner: string; repo: string },
  ref: string,
): Promise<Counted<StatusData>> {
  const items = await octokit.paginate(octokit.rest.repos.listCommitStatusesForRef, {
    ...repo,
    ref,
    per_page: PER_PAGE,
  });
  return { items, total: items.length };
}

/** The check runs of `ref`, every page; octokit flattens each page and keeps its `total_count`. */
function allCheckRuns(
  octokit: GitHubClient,
  repo: { owner: string; repo: string },
  ref: string,
): Promise<Counted<CheckRunData>> {
  const pages = octokit.paginate.iterator(octokit.rest.checks.listForRef, {
    ...repo,
    ref,
    per_page: PER_PAGE,
  });
  return everyPage(pages, (data) => {
    const runs = data as CheckRunData[] & { total_count?: number };
    return { items: runs, total: runs.total_count ?? runs.length };
  });
}
