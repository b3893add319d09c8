import { describe, expect, it } from 'vitest';
import {
  estimateTokens,
  MAX_SYMBOLS,
  type MapFile,
  rankFiles,
  renderRepoMap,
  sizeText,
  symbolKindOf,
  symbolsOf,
  wordsOf,
} from '../../../scripts/core/repo-map.ts';

const SOURCE = [
  "import { x } from './x.ts';",
  'export function parseTask(text: string) {}',
  'export default async function main() {}',
  'export async function* stream() {}',
  'export abstract class Forge {}',
  'export declare const VERSION: string;',
  'export const enum Mode { A }',
  'export enum Colour { Red }',
  'export interface Options {}',
  'export type Verdict = string;',
  'export let counter = 0;',
  'export var legacy = 1;',
  'export namespace Tools {}',
  'function hidden() {}',
  '  export const nested = 1;',
  'export { x };',
  'export * from "./y.ts";',
].join('\n');

describe('symbols of a file', () => {
  it('lists the top-level exports of TypeScript and JavaScript, with their kind', () => {
    expect(symbolsOf('src/a.ts', SOURCE)).toEqual([
      'function parseTask',
      'function main',
      'function* stream',
      'class Forge',
      'const VERSION',
      'const enum Mode',
      'enum Colour',
      'interface Options',
      'type Verdict',
      'let counter',
      'var legacy',
      'namespace Tools',
    ]);
    for (const name of ['a.js', 'a.mjs', 'a.cjs', 'a.tsx', 'a.jsx', 'a.mts', 'a.cts']) {
      expect(symbolsOf(name, 'export class A {}')).toEqual(['class A']);
    }
  });

  it('lists Markdown headings of levels 1 to 3, outside code blocks', () => {
    const text =
      '# Title #\n\nText.\n## Part\n```sh\n# not a heading\n```\n### Detail\n#### Too deep\n~~~\n## also code\n~~~\n';
    expect(symbolsOf('docs/a.md', text)).toEqual(['# Title', '## Part', '### Detail']);
    expect(symbolsOf('docs/a.mdx', '# X')).toEqual(['# X']);
  });

  it('reads nothing in other files', () => {
    expect(symbolsOf('data.json', 'export const a = 1;')).toEqual([]);
    expect(symbolKindOf('x.py')).toBeUndefined();
    expect(symbolKindOf('x.TS')).toBe('script');
    expect(symbolKindOf('x.markdown')).toBe('markdown');
  });

  it('keeps at most MAX_SYMBOLS, each one line and bounded', () => {
    const many = Array.from({ length: 100 }, (_, index) => `export const v${index} = ${index};`).join('\n');
    expect(symbolsOf('a.ts', many)).toHaveLength(MAX_SYMBOLS);
    const headings = Array.from({ length: 60 }, (_, index) => `## Part ${index}`).join('\n');
    expect(symbolsOf('a.md', headings)).toHaveLength(MAX_SYMBOLS);
    expect(symbolsOf('a.ts', `export const ${'x'.repeat(100)} = 1;\r\nexport type T = 1;\r\n`)).toEqual([
      `const ${'x'.repeat(74)}…`,
      'type T',
    ]);
    const [heading] = symbolsOf('a.md', `# Evil\u0007\u202Eheading ${'x'.repeat(200)}`);
    expect(heading).not.toMatch(/[\u0007\u202E]/);
    expect(heading!.length).toBeLessThanOrEqual(81);
    expect(heading!.endsWith('…')).toBe(true);
  });
});

describe('ranking by the task', () => {
  it('splits words at non-letters and camelCase humps, without common words', () => {
    expect(wordsOf('countChars returns the parse-task file of src/RepoMap.ts')).toEqual([
      'count',
      'chars',
      'returns',
      'parse',
      'src',
      'repo',
      'map',
    ]);
  });

  const files: MapFile[] = [
    { path: 'src/zeta.ts', size: 10, symbols: [] },
    { path: 'src/lib/deep/alpha.ts', size: 10, symbols: [] },
    { path: 'src/lib/count.ts', size: 10, symbols: ['function countChars'] },
    { path: 'src/lib/neighbour.ts', size: 10, symbols: [] },
    { path: 'src/lib/target.ts', size: 10, symbols: [] },
    { path: 'docs/counting.md', size: 10, symbols: ['# Chars'] },
    { path: 'README.md', size: 10, symbols: [] },
  ];

  it('puts the task files first, then their folder, then shared words; ties go shallow, then by name', () => {
    const ranked = rankFiles(files, { text: 'countChars is wrong', files: ['src/lib/target.ts'] });
    expect(ranked.map((file) => file.path)).toEqual([
      'src/lib/target.ts',
      'src/lib/count.ts',
      'src/lib/neighbour.ts',
      'docs/counting.md',
      'README.md',
      'src/zeta.ts',
      'src/lib/deep/alpha.ts',
    ]);
  });

  it('prefers a relevant file inside the task scope; a broken glob is ignored', () => {
    const two: MapFile[] = [
      { path: 'a/parser.ts', size: 1, symbols: [] },
      { path: 'b/parser.ts', size: 1, symbols: [] },
    ];
    const ranked = rankFiles(two, { text: 'the parser', files: [], scope: ['b/**', '[unclosed'] });
    expect(ranked.map((file) => file.path)).toEqual(['b/parser.ts', 'a/parser.ts']);
  });
});

/** A repository of `count` files spread over folders, one of them holding the task's symbol. */
function repository(count: number): MapFile[] {
  return Array.from({ length: count }, (_, index) => ({
    path: `src/area${index % 20}/module${index}.ts`,
    size: 1000 + index,
    symbols: index === 1234 ? ['function countChars'] : [`function helper${index}`, `type Shape${index}`],
  }));
}

describe('the rendered map', () => {
  it('shows the file nearest the task with its symbols, and counts what it leaves out', () => {
    const map = renderRepoMap(repository(3000), { text: 'countChars returns -1', files: [] }, 1500);
    expect(map).toContain('module1234.ts (2.2 KB): function countChars');
    expect(map).toMatch(/^src\/ \(3000 files, 7\.2 MB\)$/m);
    expect(map).toMatch(/^ {4}… \d+ more files$/m);
  });

  it('stays within its token budget, whatever the budget', () => {
    const files = repository(3000);
    for (const budget of [40, 100, 300, 1500, 4000]) {
      const map = renderRepoMap(
        files,
        { text: 'helper7 and Shape12', files: ['src/area3/module3.ts'] },
        budget,
      );
      expect(estimateTokens(map), `budget ${budget}`).toBeLessThanOrEqual(budget);
      expect(map.length).toBeGreaterThan(0);
    }
  });

  it('is empty at a budget of 0, without files, or when not even the folders fit', () => {
    expect(renderRepoMap(repository(5), { text: '', files: [] }, 0)).toBe('');
    expect(renderRepoMap([], { text: '', files: [] }, 1500)).toBe('');
    expect(renderRepoMap(repository(5), { text: '', files: [] }, 3)).toBe('');
  });

  it('lists every top-level folder for an overview, unless there are too many', () => {
    const few: MapFile[] = [
      { path: 'docs/a.md', size: 10, symbols: [] },
      { path: 'src/b.ts', size: 10, symbols: ['function b'] },
      { path: 'README.md', size: 2048, symbols: ['# Read me'] },
    ];
    expect(renderRepoMap(few, { text: '', files: ['src/b.ts'] }, 25)).toBe(
      ['docs/ (1 files, 10 B)', 'src/ (1 files, 10 B)', '  b.ts (10 B): function b', '… 1 more file'].join(
        '\n',
      ),
    );
    const many = Array.from({ length: 60 }, (_, index) => ({ path: `d${index}/f.ts`, size: 1, symbols: [] }));
    const map = renderRepoMap(many, { text: '', files: ['d7/f.ts'] }, 14);
    expect(map.split('\n')).toEqual(['d7/ (1 files, 1 B)', '  f.ts (1 B)', '… 59 more files']);
  });

  it('leaves out the farthest files when the overview lines pass the estimate', () => {
    const files = Array.from({ length: 200 }, (_, index) => ({
      path: `folder${index % 30}/file${index}.ts`,
      size: 1,
      symbols: [],
    }));
    const focus = { text: 'file17', files: ['folder17/file17.ts'] };
    const map = renderRepoMap(files, focus, 300);
    expect(estimateTokens(map)).toBeLessThanOrEqual(300);
    expect(map).toContain('  file17.ts (1 B)');
    // Thirty overview lines alone pass a budget this small: nothing is better than a broken map.
    expect(renderRepoMap(files, focus, 150)).toBe('');
  });

  it('quotes a name holding a newline or a control character, and cuts a long one', () => {
    const hostile: MapFile[] = [
      { path: 'src/evil\nname.ts', size: 5, symbols: [] },
      { path: `src/${'n'.repeat(300)}.ts`, size: 5, symbols: [] },
      { path: 'src/bell\u0007/x.md', size: 5, symbols: [] },
    ];
    const map = renderRepoMap(hostile, { text: 'evil name bell', files: [] }, 1000);
    expect(map).toContain('"evil\\nname.ts" (5 B)');
    expect(map).toContain(`${'n'.repeat(120)}… (5 B)`);
    expect(map).toContain('"bell\\u0007"/ (1 files, 5 B)');
    expect(map.split('\n').every((line) => line.length < 200)).toBe(true);
  });

  it('shows as many symbols of a file as fit in a line, and counts the rest', () => {
    const symbols = Array.from({ length: 40 }, (_, index) => `function longSymbolName${index}`);
    const map = renderRepoMap([{ path: 'a.ts', size: 1, symbols }], { text: '', files: ['a.ts'] }, 500);
    expect(map).toMatch(/^a\.ts \(1 B\): function longSymbolName0, .*, … \d+ more$/);
    const huge = [{ path: 'b.ts', size: 1, symbols: [`function ${'x'.repeat(300)}`] }];
    expect(renderRepoMap(huge, { text: '', files: [] }, 500)).toBe('b.ts (1 B): … 1 more');
  });

  it('gives sizes as people read them', () => {
    expect([sizeText(0), sizeText(1023), sizeText(1536), sizeText(5 * 1024 * 1024)]).toEqual([
      '0 B',
      '1023 B',
      '1.5 KB',
      '5.0 MB',
    ]);
  });
});
