// What users copy (examples, the root config, code blocks of the README and docs) imports only the
// package's public entry, never a path under scripts/: a moved file must never break a user's config.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../fixtures/cli.ts';

/** Module specifiers of every static, re-exporting, dynamic and side-effect import, and require. */
const SPECIFIER =
  /\bfrom\s*(['"`])([^'"`]+)\1|\bimport\s*\(\s*(['"`])([^'"`]+)\3|\bimport\s+(['"])([^'"]+)\5|\brequire\s*\(\s*(['"`])([^'"`]+)\7/g;
/** Fenced code blocks of a Markdown file: the fence, the info string and the body. */
const FENCED = /^ {0,3}(`{3,}|~{3,})[^\n]*\n([\s\S]*?)\n {0,3}\1[`~]*[ \t]*$/gm;
/** Code files a user copies or writes against the package. */
const CODE = /\.(?:[cm]?[jt]sx?)$/;

/** The subpaths the package exports (`.`, `./config`, …), from package.json. */
function exportedSubpaths(): Set<string> {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    exports?: Record<string, unknown>;
  };
  return new Set(Object.keys(manifest.exports ?? {}));
}

/**
 * The specifiers of `source` that reach below the public entry: a path through a `scripts`
 * folder, or a subpath of `aifactory-os` that package.json does not export.
 */
function deepImports(source: string, exported: ReadonlySet<string>): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(SPECIFIER)) {
    const specifier = match[2] ?? match[4] ?? match[6] ?? match[8]!;
    const normalised = specifier.replaceAll('\\', '/');
    const packaged = /^aifactory-os(\/.*)?$/.exec(normalised);
    if (packaged ? !exported.has(`.${packaged[1] ?? ''}`) : /(^|\/)scripts(\/|$)/.test(normalised)) {
      found.push(specifier);
    }
  }
  return found;
}

/** The code of a file as users read it: the whole file, or a Markdown file's fenced blocks. */
function codeOf(path: string, text: string): string {
  return path.endsWith('.md') ? [...text.matchAll(FENCED)].map((match) => match[2]).join('\n') : text;
}

/** Files users copy: examples, root configs, and every Markdown page outside the internals. */
function userFacingFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  return listed
    .split('\0')
    .filter(Boolean)
    .filter(
      (path) =>
        (path.startsWith('examples/') && CODE.test(path)) ||
        /^aifactory\.config\.[cm]?[jt]s$/.test(path) ||
        (path.endsWith('.md') && !/^(scripts|tests|site|prompts|shared|tasks|node_modules)\//.test(path)),
    );
}

describe('deepImports', () => {
  const exported = new Set(['.', './config', './package.json']);

  it('finds a static, re-exported, type-only, dynamic, side-effect or required path under scripts/', () => {
    const source = [
      "import { defineAgent } from '../../scripts/agents/define-agent.ts';",
      "export { renderProposal } from '../scripts/core/proposal.ts';",
      'import type {\n  Task,\n} from "./scripts/core/task.ts";',
      "const store = await import('../../scripts/engine/run-store.ts');",
      "import '../scripts/core/config.ts';",
      "const { z } = require('..\\\\scripts\\\\core\\\\task.ts');",
      'const late = await import(`../scripts/cli.ts`);',
    ].join('\n');
    expect(deepImports(source, exported)).toEqual([
      '../../scripts/agents/define-agent.ts',
      '../scripts/core/proposal.ts',
      './scripts/core/task.ts',
      '../../scripts/engine/run-store.ts',
      '../scripts/core/config.ts',
      '..\\\\scripts\\\\core\\\\task.ts',
      '../scripts/cli.ts',
    ]);
  });

  it('finds a subpath of aifactory-os that package.json does not export', () => {
    const source = [
      "import { defineAgent } from 'aifactory-os/scripts/agents/define-agent.ts';",
      "import { RunStore } from 'aifactory-os/engine';",
    ].join('\n');
    expect(deepImports(source, exported)).toEqual([
      'aifactory-os/scripts/agents/define-agent.ts',
      'aifactory-os/engine',
    ]);
  });

  it('lets the public entry, its config entry, node built-ins, packages and sibling files through', () => {
    const source = [
      "import { defineAgent, FactoryError } from 'aifactory-os';",
      "import { defineConfig } from 'aifactory-os/config';",
      "import { readFile } from 'node:fs/promises';",
      "import { z } from 'zod';",
      "import { helper } from './helpers/scripts-free.ts';",
      "export { default } from './examples/aifactory.config.ts';",
    ].join('\n');
    expect(deepImports(source, exported)).toEqual([]);
  });
});

describe('what users copy', () => {
  it('covers the examples, the root config, the README and the plugin guide', () => {
    const files = userFacingFiles();
    for (const path of [
      'aifactory.config.ts',
      'examples/aifactory.config.ts',
      'README.md',
      'docs/plugins.md',
    ]) {
      expect(files).toContain(path);
    }
    expect(files.filter((path) => path.startsWith('examples/agents/')).length).toBeGreaterThan(0);
  });

  it('imports only from aifactory-os, never a path under scripts/', () => {
    const exported = exportedSubpaths();
    const offenders = userFacingFiles().flatMap((path) =>
      deepImports(codeOf(path, readFileSync(join(REPO_ROOT, path), 'utf8')), exported).map(
        (specifier) => `${path}: imports "${specifier}"; import it from 'aifactory-os' instead`,
      ),
    );
    expect(offenders).toEqual([]);
  });
});
