import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { table } from '../../bench/report.ts';
import { runBench } from '../../bench/run.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('the benchmark harness, at a few tasks', () => {
  it('measures every figure and writes results.json naming the machine (timings unchecked)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aifactory-bench-test-'));
    dirs.push(dir);
    const out = join(dir, 'results.json');
    const { figures } = await runBench({ small: true, out, withSite: false, log: () => undefined });
    const written = JSON.parse(await readFile(out, 'utf8')) as {
      size: string;
      machine: { cpu: string; cores: number };
      figures: { name: string; value: number }[];
    };
    expect(written.size).toBe('small');
    expect(written.machine.cores).toBeGreaterThan(0);
    expect(written.figures.map((figure) => figure.name)).toEqual(figures.map((figure) => figure.name));
    for (const prefix of [
      'overhead in process',
      'overhead end to end',
      'no-op scheduled run',
      'repository growth',
      'rate-limit adherence, configured',
      'rate-limit adherence, adaptive',
      'CLI start: aifactory --version',
      'cold validate',
      'snapshot',
      'planning peak memory',
      'agent tools: literal search',
      'repository map, 50 files: cold',
      'repository map, 50 files: from the cache',
      'one-line change in a 3000-line file',
      'demo tasks',
    ]) {
      expect(
        figures.some((figure) => figure.name.startsWith(prefix)),
        prefix,
      ).toBe(true);
    }
    // Whatever the timings, the work itself was done: every task merged, no 429, no commit on a no-op.
    const byName = (prefix: string) => figures.find((figure) => figure.name.startsWith(prefix))!;
    expect(byName('overhead in process').note).toBeUndefined();
    expect(byName('overhead end to end').note).toBeUndefined();
    expect(byName('no-op scheduled run').note).toBe('no commit');
    expect(byName('rate-limit adherence, adaptive').value).toBe(0);
    expect(byName('rate-limit adherence, configured').ratio).toBeLessThanOrEqual(1);
    // Token figures are computed, not timed: they hold whatever the machine.
    expect(byName('one-line change in a 3000-line file').ok).toBe(true);
    const demo = figures.find((figure) => /^demo tasks \(\d+\): .* tool calls$/.test(figure.name));
    expect(demo?.value).toBeGreaterThan(0);
    for (const figure of figures.filter((figure) => !figure.name.startsWith('planning'))) {
      expect(Number.isFinite(figure.value), figure.name).toBe(true);
    }
    expect(table(figures)).toContain('overhead in process');
  }, 600_000);
});
