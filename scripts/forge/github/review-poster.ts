// Posts and finds the factory's reviews on GitHub, trusting a review's marker only when the factory wrote it.
import type { PostedReview, PullRequest } from '../types.ts';
import { attempt, type GitHubClient, gitHubMessage, statusOf, toFactoryError } from './client.ts';
import {
  CANNOT_JUDGE,
  LINE_OUTSIDE_DIFF,
  markedReview,
  REVIEW_STATUS_CONTEXT,
  reviewBody,
} from './reviews.ts';
import { statusContent, type Trust, withSignature } from './trust.ts';

type Repo = { owner: string; repo: string };
type Comment = PostedReview['comments'][number];

/**
 * Posts and finds the factory's reviews. A review is marked in its body (reviews.ts), so a rerun
 * finds it by listing the pull request's reviews instead of asking a model twice; a marker counts
 * only on a review the factory itself wrote (trust.ts): anyone can copy its text.
 */
export class Reviews {
  private readonly author: GitHubClient;
  /** undefined with one token: reviews are then COMMENTs plus a commit status. */
  private readonly reviewer: GitHubClient | undefined;
  private readonly repo: Repo;
  private readonly trust: Trust;

  constructor(author: GitHubClient, reviewer: GitHubClient | undefined, repo: Repo, trust: Trust) {
    this.author = author;
    this.reviewer = reviewer;
    this.repo = repo;
    this.trust = trust;
  }

  async find(pr: PullRequest, at: { commit: string; iteration: number }): Promise<PostedReview | undefined> {
    const reviews = await attempt(`listing the reviews of pull request #${pr.number}`, () =>
      this.author.paginate(this.author.rest.pulls.listReviews, {
        ...this.repo,
        pull_number: pr.number,
        per_page: 100,
      }),
    );
    for (const review of reviews) {
      const marked = markedReview(review.body);
      if (!marked || marked.review.commit !== at.commit || marked.review.iteration !== at.iteration) continue;
      if (await this.trust.isOwnMark(review.user, marked.content, marked.signature)) return marked.review;
    }
    return undefined;
  }

  /** Posts `review`; line comments only on paths in `diffPaths`, the rest in the body. */
  async post(pr: PullRequest, review: PostedReview, diffPaths: ReadonlySet<string>): Promise<void> {
    if (!this.reviewer) return this.#postAsComment(pr, review);
    const inline = review.comments.filter((c) => c.line !== undefined && diffPaths.has(c.path));
    const inBody = review.comments.filter((c) => !inline.includes(c));
    try {
      await this.#create(this.reviewer, pr, review, inline, inBody);
    } catch (error) {
      const message = gitHubMessage(error);
      if (statusOf(error) === 422 && CANNOT_JUDGE.test(message)) return this.#postAsComment(pr, review);
      if (statusOf(error) !== 422 || !LINE_OUTSIDE_DIFF.test(message) || inline.length === 0)
        throw toFactoryError(error, `posting the review of pull request #${pr.number}`);
      // GitHub refused a line outside the diff (The-PR-Agent/pr-agent#592): every comment goes in the body.
      try {
        await this.#create(this.reviewer, pr, review, [], review.comments);
      } catch (second) {
        if (statusOf(second) === 422 && CANNOT_JUDGE.test(gitHubMessage(second)))
          return this.#postAsComment(pr, review);
        throw toFactoryError(second, `posting the review of pull request #${pr.number}`);
      }
    }
  }

  #create(
    client: GitHubClient,
    pr: PullRequest,
    review: PostedReview,
    inline: readonly Comment[],
    inBody: readonly Comment[],
    event: 'APPROVE' | 'REQUEST_CHANGES' | 'COMMENT' = review.verdict === 'approve'
      ? 'APPROVE'
      : 'REQUEST_CHANGES',
  ) {
    return client.rest.pulls.createReview({
      ...this.repo,
      pull_number: pr.number,
      commit_id: review.commit,
      event,
      body: reviewBody(review, inBody, (content) => this.trust.sign(content)),
      ...(inline.length > 0
        ? { comments: inline.map((c) => ({ path: c.path, line: c.line!, side: 'RIGHT', body: c.body })) }
        : {}),
    });
  }

  /**
   * GitHub refuses an approval from the pull request's author (zio/zio#7939) and from GITHUB_TOKEN
   * unless the repository allows it (cpp-linter/cpp-linter#51): the review becomes a COMMENT and
   * the verdict the `aifactory/review` commit status on the head, which branch protection can require.
   */
  async #postAsComment(pr: PullRequest, review: PostedReview): Promise<void> {
    const client = this.reviewer ?? this.author;
    const summary = review.summary.trim() || review.verdict;
    const state = review.verdict === 'approve' ? 'success' : 'failure';
    const signature = this.trust.sign(statusContent(review.commit, REVIEW_STATUS_CONTEXT, state));
    // The status first: the review is what a rerun looks for, so it must be the last thing written.
    await attempt(`setting the ${REVIEW_STATUS_CONTEXT} status on ${review.commit}`, () =>
      this.author.rest.repos.createCommitStatus({
        ...this.repo,
        sha: review.commit,
        state,
        context: REVIEW_STATUS_CONTEXT,
        description: withSignature(`${review.agent}: ${summary}`, signature),
      }),
    );
    await attempt(`posting the review of pull request #${pr.number}`, () =>
      this.#create(client, pr, review, [], review.comments, 'COMMENT'),
    );
  }
}
