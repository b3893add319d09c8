// Merging on GitHub: the repository's merge method, and auto-merge armed or disarmed through GraphQL.
import { FactoryError } from '../../core/errors.ts';
import type { MergeOutcome } from '../types.ts';
import type { GitHubClient } from './client.ts';

/** What the forge needs to know of the repository, read once per run. */
export interface RepoInfo {
  defaultBranch: string;
  allowMergeCommit: boolean;
  allowSquashMerge: boolean;
  allowRebaseMerge: boolean;
  allowAutoMerge: boolean;
}

export type MergeMethod = 'merge' | 'squash' | 'rebase';

/** The first merge method the repository allows, in the order merge, squash, rebase. */
export function mergeMethodOf(info: RepoInfo): MergeMethod {
  if (info.allowMergeCommit) return 'merge';
  if (info.allowSquashMerge) return 'squash';
  if (info.allowRebaseMerge) return 'rebase';
  return 'merge';
}

const ENABLE_AUTO_MERGE = `mutation EnableAutoMerge($pullRequestId: ID!, $mergeMethod: PullRequestMergeMethod!, $expectedHeadOid: GitObjectID!) {
  enablePullRequestAutoMerge(input: { pullRequestId: $pullRequestId, mergeMethod: $mergeMethod, expectedHeadOid: $expectedHeadOid }) {
    pullRequest { number }
  }
}`;

/**
 * Arms GitHub's auto-merge after a direct merge was refused (405): GitHub then merges once the
 * requirements are met. "clean status" means nothing is pending any more, so the next run merges
 * directly (peter-evans/enable-pull-request-automerge#1118); any other refusal is a wait too.
 */
export async function autoMerge(
  octokit: GitHubClient,
  graphqlUrl: string,
  input: { nodeId: string; method: MergeMethod; head: string; refusal: string },
): Promise<MergeOutcome> {
  try {
    // A plain POST, since octokit.graphql reserves `url` and GITHUB_GRAPHQL_URL need not be `${api}/graphql` (GHES).
    const { data } = await octokit.request({
      method: 'POST',
      url: graphqlUrl,
      query: ENABLE_AUTO_MERGE,
      variables: {
        pullRequestId: input.nodeId,
        mergeMethod: input.method.toUpperCase(),
        expectedHeadOid: input.head,
      },
    });
    const errors = (data as { errors?: { message?: string }[] }).errors ?? [];
    if (errors.length > 0) throw new Error(errors.map((error) => error.message).join('; '));
    return { kind: 'queued', reason: `auto-merge armed; GitHub merges when it can (${input.refusal})` };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/clean status|unstable status/i.test(message)) {
      return {
        kind: 'waiting',
        reason: `${input.refusal}; nothing is pending any more, so it merges directly next run`,
      };
    }
    return { kind: 'waiting', reason: `${input.refusal}; auto-merge could not be armed: ${message}` };
  }
}

const DISABLE_AUTO_MERGE = `mutation DisableAutoMerge($pullRequestId: ID!) {
  disablePullRequestAutoMerge(input: { pullRequestId: $pullRequestId }) {
    pullRequest { number }
  }
}`;

/**
 * Disarms GitHub's auto-merge of a pull request whose approval no longer holds (its change goes
 * back to the coder). Armed, it stays armed through the factory's own pushes, so GitHub would
 * merge the next iteration's head as soon as its checks pass: before any review of it.
 * @throws FactoryError (`forge`) when GitHub refuses: the task pauses rather than push a head
 *   that could merge unreviewed.
 */
export async function disarmAutoMerge(
  octokit: GitHubClient,
  graphqlUrl: string,
  nodeId: string,
): Promise<void> {
  const { data } = await octokit.request({
    method: 'POST',
    url: graphqlUrl,
    query: DISABLE_AUTO_MERGE,
    variables: { pullRequestId: nodeId },
  });
  const errors = (data as { errors?: { message?: string }[] }).errors ?? [];
  if (errors.length > 0) {
    throw new FactoryError(
      'forge',
      `could not disarm auto-merge, so the next iteration is not pushed: ${errors.map((error) => error.message).join('; ')}`,
    );
  }
}
