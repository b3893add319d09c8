// SECURITY.md says what the code does: the code it names exists, and its claims hold when tried.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../../fixtures/cli.ts';
import { createSandboxRepo, simpleStory } from '../../fixtures/sandbox-repo.ts';

const page = () => readFile(join(REPO_ROOT, 'SECURITY.md'), 'utf8');

/** `[`path`](path), `symbol``: a file the page links, with the symbol it names in it. */
function namedSymbols(text: string): { path: string; symbol: string }[] {
  const flat = text.replace(/\s+/g, ' ');
  return [...flat.matchAll(/\]\(((?:scripts|tests)\/[^)#]+)\)\)?,? `([A-Za-z_#][\w#]*)`/g)].map((match) => ({
    path: match[1]!,
    symbol: match[2]!.replace(/^#/, ''),
  }));
}

describe('SECURITY.md', () => {
  it('names only code that exists, in the file it links', async () => {
    const named = namedSymbols(await page());
    expect(named.length).toBeGreaterThan(5);
    const missing: string[] = [];
    for (const { path, symbol } of named) {
      const source = await readFile(join(REPO_ROOT, path), 'utf8').catch(() => '');
      if (!source.includes(symbol)) missing.push(`${symbol} in ${path}`);
    }
    expect(missing).toEqual([]);
  });

  it('says both forges ship, and that a damaged budget file is skipped, never fatal', async () => {
    const text = (await page()).replace(/\s+/g, ' ');
    expect(text).toContain('Two forges ship');
    expect(text).toContain('**local forge**');
    expect(text).toContain('**GitHub forge**');
    expect(text).toMatch(/damaged or forged budget file is skipped with a warning/);
    expect(text).not.toMatch(/only the local forge/i);
  });

  it('holds: a run over a damaged budget file warns, naming it, and goes on', async () => {
    const { root, replayDir } = await createSandboxRepo([simpleStory('alpha')]);
    try {
      const day = new Date().toISOString().slice(0, 10);
      await mkdir(join(root, 'shared/budget'), { recursive: true });
      await writeFile(join(root, 'shared/budget', `${day}.json`), '{ not json');
      const result = await runCli(['run', '--once', '--replay', replayDir, '--no-snapshot'], { cwd: root });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain(`shared/budget/${day}.json is skipped`);
      expect(result.stdout).toContain('alpha: merged');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 60_000);
});
