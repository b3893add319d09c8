/** Where the dashboard's footer points for documentation: the repository's docs on GitHub, when known. */

/** `owner/name` as GitHub spells repository names; anything else is not a repository. */
const REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;

/**
 * The documentation index of the repository the site is built from, or `undefined` when the build
 * does not know the repository. GitHub Actions sets `GITHUB_SERVER_URL` and `GITHUB_REPOSITORY` for
 * every step, so the Pages build knows them without any setting; a local build usually does not,
 * and then the footer names the folder instead of guessing a link. `HEAD` is the default branch,
 * whatever it is called. Values of another shape (a path, a script URL, a host with credentials)
 * give no link rather than a link somewhere else.
 */
export function docsUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const repository = env.GITHUB_REPOSITORY;
  const name = repository?.split('/')[1];
  if (!repository || !REPOSITORY.test(repository) || name === '.' || name === '..') return undefined;
  const server = serverOrigin(env.GITHUB_SERVER_URL ?? 'https://github.com');
  return server && `${server}/${repository}/blob/HEAD/docs/index.md`;
}

/** The origin of an http(s) server URL without credentials, path or query; else `undefined`. */
function serverOrigin(value: string): string | undefined {
  if (!URL.canParse(value)) return undefined;
  const url = new URL(value);
  const bare = url.username === '' && url.password === '' && url.search === '' && url.hash === '';
  const rooted = url.pathname === '/' || url.pathname === '';
  return (url.protocol === 'https:' || url.protocol === 'http:') && bare && rooted ? url.origin : undefined;
}
