// The github forge's settings from the environment: API roots, repository, tokens and signing key.
import { FactoryError } from '../../core/errors.ts';

/** Where and as whom the github forge talks to GitHub (DESIGN.md, "GitHub"). */
export interface GitHubConfig {
  apiUrl: string;
  graphqlUrl: string;
  owner: string;
  repo: string;
  /** Writes branches, commits, pull requests and merges. */
  authorToken: string;
  /** Posts reviews; undefined when it is the author's token (GitHub refuses self-approval). */
  reviewerToken?: string;
  /**
   * false when AIFACTORY_GITHUB_THROTTLE is `off`: writes are not spaced a second apart (GitHub's
   * advice for api.github.com). For a server without secondary limits, or a test double of one.
   */
  throttle?: false;
  /**
   * AIFACTORY_SIGNING_KEY: signs the factory's statuses and review markers, so no other workflow
   * writing as the same GITHUB_TOKEN identity can pass for the factory (SECURITY.md).
   */
  signingKey?: string;
}

/**
 * Reads the github forge's settings as GitHub Actions sets them: GITHUB_API_URL, GITHUB_GRAPHQL_URL,
 * GITHUB_REPOSITORY, and the author token AIFACTORY_GITHUB_TOKEN, else GITHUB_TOKEN.
 * @throws FactoryError (`config`) naming the variable that is missing or malformed.
 */
export function githubConfigFromEnv(env: NodeJS.ProcessEnv): GitHubConfig {
  const apiUrl = (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, '');
  const graphqlUrl = env.GITHUB_GRAPHQL_URL || `${apiUrl}/graphql`;
  const repository = env.GITHUB_REPOSITORY;
  if (!repository) {
    throw new FactoryError(
      'config',
      'GITHUB_REPOSITORY is not set; set it to owner/name of the repository (GitHub Actions sets it)',
    );
  }
  const [owner, repo, ...rest] = repository.split('/');
  if (!owner || !repo || rest.length > 0) {
    throw new FactoryError('config', `GITHUB_REPOSITORY is "${repository}"; it must be owner/name`);
  }
  const authorToken = env.AIFACTORY_GITHUB_TOKEN || env.GITHUB_TOKEN;
  if (!authorToken) {
    throw new FactoryError(
      'config',
      'neither AIFACTORY_GITHUB_TOKEN nor GITHUB_TOKEN is set; the github forge needs a token with contents, pull-requests, statuses, checks and issues permissions',
    );
  }
  const reviewer = env.GITHUB_TOKEN;
  const throttle = env.AIFACTORY_GITHUB_THROTTLE;
  if (throttle !== undefined && throttle !== '' && throttle !== 'on' && throttle !== 'off') {
    throw new FactoryError('config', `AIFACTORY_GITHUB_THROTTLE is "${throttle}"; it must be on or off`);
  }
  return {
    apiUrl,
    graphqlUrl,
    owner,
    repo,
    authorToken,
    ...(reviewer && reviewer !== authorToken ? { reviewerToken: reviewer } : {}),
    ...(throttle === 'off' ? { throttle: false as const } : {}),
    ...(env.AIFACTORY_SIGNING_KEY ? { signingKey: env.AIFACTORY_SIGNING_KEY } : {}),
  };
}
