// The dashboard footer's documentation link: built from what GitHub Actions says, never from a guess.
import { describe, expect, it } from 'vitest';
import { docsUrl } from '../../../site/lib/docs-link.ts';

describe('the footer link to the documentation', () => {
  it('points at the docs index of the repository the Pages build runs for', () => {
    expect(docsUrl({ GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'octo/factory' })).toBe(
      'https://github.com/octo/factory/blob/HEAD/docs/index.md',
    );
  });

  it('uses the server of a GitHub Enterprise build, and github.com when none is named', () => {
    expect(docsUrl({ GITHUB_SERVER_URL: 'https://git.example.com', GITHUB_REPOSITORY: 'team/app' })).toBe(
      'https://git.example.com/team/app/blob/HEAD/docs/index.md',
    );
    expect(docsUrl({ GITHUB_REPOSITORY: 'octo/.github' })).toBe(
      'https://github.com/octo/.github/blob/HEAD/docs/index.md',
    );
  });

  it('gives no link when the build does not know the repository', () => {
    expect(docsUrl({})).toBeUndefined();
    expect(docsUrl({ GITHUB_REPOSITORY: '' })).toBeUndefined();
  });

  it.each([
    ['a path that climbs', 'octo/..'],
    ['the current folder', 'octo/.'],
    ['a third segment', 'octo/factory/evil'],
    ['markup', 'octo/"><script>'],
    ['a query', 'octo/factory?x=1'],
    ['an owner starting with a hyphen', '-octo/factory'],
  ])('refuses a repository that is %s', (_what, repository) => {
    expect(docsUrl({ GITHUB_REPOSITORY: repository })).toBeUndefined();
  });

  it.each([
    ['a script URL', 'javascript:alert(1)'],
    ['credentials', 'https://user:secret@github.com'], // aifactory:allow-secret
    ['a path', 'https://evil.example/github.com'],
    ['a query', 'https://github.com?next=evil'],
    ['not a URL', 'github.com'],
    ['another scheme', 'ftp://github.com'],
  ])('refuses a server URL with %s', (_what, server) => {
    expect(docsUrl({ GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: 'octo/factory' })).toBeUndefined();
  });
});
