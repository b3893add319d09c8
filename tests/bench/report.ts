import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname } from 'node:path';

/** One measured figure beside its target. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** The physical limit measured in the same run, when the figure has one. */
  limit?: number;
  /** value ÷ limit, when there is a limit. */
  ratio?: number;
  /** What the target is, in words (`ratio ≤ 1.10`, `≤ 2 s`). */
  target: string;
  /** Whether the target is met; undefined when the figure has no target. */
  ok?: boolean;
  note?: string;
}

/** The machine a run measured, named in the results. */
export function machine(): Record<string, string | number> {
  const git = (() => {
    try {
      return execFileSync('git', ['--version'], { encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  })();
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memory_gb: Math.round(totalmem() / 2 ** 30),
    load_average_1m_at_start: Number(loadavg()[0]!.toFixed(2)),
    node: process.version,
    git,
    platform: `${process.platform} ${process.arch}`,
  };
}

const fixed = (value: number) => (Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2));

/** The results as a table, misses marked. */
export function table(figures: readonly Figure[]): string {
  const rows = figures.map((figure) => [
    figure.name,
    `${fixed(figure.value)} ${figure.unit}`,
    figure.limit === undefined ? '' : `${fixed(figure.limit)} ${figure.unit}`,
    figure.ratio === undefined ? '' : figure.ratio.toFixed(3),
    figure.target,
    figure.ok === undefined ? '' : figure.ok ? 'ok' : 'MISS',
  ]);
  const head = ['figure', 'measured', 'physical limit', 'ratio', 'target', 'result'];
  const widths = head.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: readonly string[]) =>
    cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ');
  return [line(head), line(widths.map((width) => '─'.repeat(width))), ...rows.map(line)].join('\n');
}

/** Writes `bench/results.json`. */
export async function writeResults(
  path: string,
  figures: readonly Figure[],
  size: string,
  where: Record<string, string | number>,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const results = { measured_at: new Date().toISOString(), size, machine: where, figures };
  await writeFile(path, `${JSON.stringify(results, null, 2)}\n`);
}
