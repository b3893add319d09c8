// The shape of the source tree: the dependency rule, no circles, topical folders, file headers.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cruise } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const SOURCE = /\.(ts|mjs)$/;

function folders(dir: string): string[] {
  const subs = readdirSync(join(ROOT, dir), { withFileTypes: true }).filter((entry) => entry.isDirectory());
  return [dir, ...subs.flatMap((entry) => folders(`${dir}/${entry.name}`))];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).filter((name) => SOURCE.test(name));
}

describe('the source tree', () => {
  it('keeps the dependency rule and has no circular import', async () => {
    const config = (await import(join(ROOT, '.dependency-cruiser.cjs'))).default;
    const result = await cruise(['scripts'], { ruleSet: config, ...config.options, validate: true });
    const output = typeof result.output === 'string' ? JSON.parse(result.output) : result.output;
    const broken = output.summary.violations.map(
      (violation: { rule: { name: string }; from: string; to: string }) =>
        `${violation.rule.name}: ${violation.from} → ${violation.to}`,
    );
    expect(broken).toEqual([]);
    // The cruise really followed the imports, so an empty list means something.
    expect(output.summary.totalCruised).toBeGreaterThan(150);
    expect(output.summary.totalDependenciesCruised).toBeGreaterThan(500);
  });

  it('splits a folder into topics before it passes 15 source files', () => {
    const crowded = folders('scripts')
      .map((dir) => ({ dir, files: sourceFiles(dir).length }))
      .filter(({ files }) => files > 15);
    expect(crowded).toEqual([]);
  });
  it('opens every source file with a one-line header saying what it holds', () => {
    const bare = folders('scripts')
      .flatMap((dir) => sourceFiles(dir).map((name) => `${dir}/${name}`))
      .filter((file) => !/^(#![^\n]*\n)?(\/\/ \S|\/\*\* \S)/.test(readFileSync(join(ROOT, file), 'utf8')));
    expect(bare).toEqual([]);
  });
});
