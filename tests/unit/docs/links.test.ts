// Every relative link and #anchor of the README, the root guides and docs/ resolves, and every page is reachable.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../fixtures/cli.ts';
import { brokenLinks, githubSlug, markdownLinks, reachableMarkdown } from '../../fixtures/markdown-links.ts';

const ROOT_PAGES = ['README.md', 'SECURITY.md', 'CHANGELOG.md', 'CONTRIBUTING.md'];

async function documentation(): Promise<string[]> {
  const docs = (await readdir(join(REPO_ROOT, 'docs'))).filter((name) => name.endsWith('.md'));
  return [...ROOT_PAGES, ...docs.sort().map((name) => `docs/${name}`)];
}

describe('the documentation', () => {
  it('has no relative link or anchor that leads nowhere', async () => {
    const broken = brokenLinks(REPO_ROOT, await documentation());
    expect(broken.map((link) => `${link.file}:${link.line}: ${link.target}: ${link.problem}`)).toEqual([]);
  });

  it('reaches every page from the README', async () => {
    const reached = reachableMarkdown(REPO_ROOT, 'README.md');
    expect((await documentation()).filter((page) => !reached.has(page))).toEqual([]);
  });

  it('keeps the README a front door of at most 250 lines', async () => {
    const lines = (await readFile(join(REPO_ROOT, 'README.md'), 'utf8')).split('\n').length;
    expect(lines).toBeLessThanOrEqual(250);
  });
});

describe('the link check', () => {
  const scratches: string[] = [];
  afterAll(async () => {
    for (const scratch of scratches) await rm(scratch, { recursive: true, force: true });
  });

  async function tree(files: Record<string, string>): Promise<string> {
    const scratch = await mkdtemp(join(tmpdir(), 'aifactory-links-'));
    scratches.push(scratch);
    for (const [path, content] of Object.entries(files)) {
      await mkdir(join(scratch, path, '..'), { recursive: true });
      await writeFile(join(scratch, path), content);
    }
    return scratch;
  }

  it('reports a missing file, a missing anchor, a link out of the tree and an absolute path', async () => {
    const root = await tree({
      'README.md': [
        '# Top',
        '[ok](docs/a.md#the-part) [gone](docs/missing.md) [no anchor](docs/a.md#nowhere)',
        '[out](../../etc/passwd) [rooted](/docs/a.md) [self](#top) [not here](#elsewhere)',
        '![picture](docs/shot.png) [web](https://example.com/x.md#y) [mail](mailto:a@b.c)',
      ].join('\n'),
      'docs/a.md': '# A\n\n## The part\n',
      'docs/shot.png': 'png',
    });
    expect(brokenLinks(root, ['README.md']).map((link) => [link.line, link.target])).toEqual([
      [2, 'docs/missing.md'],
      [2, 'docs/a.md#nowhere'],
      [3, '../../etc/passwd'],
      [3, '/docs/a.md'],
      [3, '#elsewhere'],
    ]);
  });

  it('ignores links inside code blocks and code spans, and finds reference and HTML links', () => {
    const markdown = [
      '```md',
      '[in a fence](nowhere.md)',
      '```',
      'See `[in a span](nowhere.md)` and [the guide][g] and <a href="docs/x.md">x</a>.',
      '[g]: <docs/guide.md>',
    ].join('\n');
    expect(markdownLinks(markdown)).toEqual([
      { line: 4, target: 'docs/x.md' },
      { line: 5, target: 'docs/guide.md' },
    ]);
  });

  it('names anchors as GitHub does', () => {
    expect(githubSlug('What `validate` checks')).toBe('what-validate-checks');
    expect(githubSlug('Tokens: pick one of three set-ups')).toBe('tokens-pick-one-of-three-set-ups');
    expect(githubSlug("Where agents may write: the control plane's **rules**")).toBe(
      'where-agents-may-write-the-control-planes-rules',
    );
    expect(githubSlug('[Linked](x.md) max_iterations — café')).toBe('linked-max_iterations--café');
  });

  it('numbers repeated headings and counts explicit ids', async () => {
    const root = await tree({
      'a.md': '# Part\n\n# Part\n\n<a id="kept"></a>\n\n[1](#part-1) [2](#kept) [3](#part-2)\n',
    });
    expect(brokenLinks(root, ['a.md']).map((link) => link.target)).toEqual(['#part-2']);
  });
});
