/**
 * `npm run bench`: the run's cost against the model's latency, rate-limit adherence, the CLI's
 * start, scale to 10,000 tasks, the dashboard, the micro cases of the hot paths, and the agent tools. Writes
 * `bench/results.json` and prints a table naming the machine; each figure with a physical limit
 * is shown as a ratio to it, measured in the same run, and a missed target says MISS.
 *
 * `BENCH_SIZE=small` runs every part at a few tasks (the test suite does, so the harness does not
 * rot); its timings mean nothing. `BENCH_OUT` names another results file.
 */
import { join } from 'node:path';
import { REPO_ROOT } from '../fixtures/cli.ts';
import { endToEnd, overheadInProcess } from './factory-bench.ts';
import { rateLimitAdherence } from './limits-bench.ts';
import { microCases } from './micro.ts';
import { type Figure, machine, table, writeResults } from './report.ts';
import { cliStart, manyTasks } from './scale-bench.ts';
import { site } from './site-bench.ts';
import { demoTokens, oneLineChange } from './tokens-bench.ts';
import { agentTools } from './tools-bench.ts';

export interface BenchOptions {
  small: boolean;
  out: string;
  /** Skips the dashboard build (it needs astro and Chromium, and takes minutes at 10,000 tasks). */
  withSite: boolean;
  log?: (line: string) => void;
}

/** Runs every part; the figures, also written to `options.out`. */
export async function runBench(
  options: BenchOptions,
): Promise<{ figures: Figure[]; where: Record<string, string | number> }> {
  const log = options.log ?? ((line: string) => console.log(line));
  const small = options.small;
  const where = machine();
  const figures: Figure[] = [];
  const part = async (name: string, work: () => Promise<Figure[]>) => {
    log(`… ${name}`);
    figures.push(...(await work()));
    // Written after each part, so a long run that is cut short still leaves what it measured.
    await writeResults(options.out, figures, small ? 'small' : 'full', where);
  };
  await part('overhead in process', async () => [
    await overheadInProcess(small ? 4 : 200, small ? 2 : 8, small ? 20 : 200, 1.1),
  ]);
  await part('end to end', () => endToEnd(small ? 3 : 96, small ? 2 : 8, small ? 20 : 300, 1.25));
  await part('rate limits', () => rateLimitAdherence(small ? 80 : 600));
  await part('CLI start', () => cliStart(small ? 1 : 7));
  await part('many tasks', () => manyTasks(small ? 40 : 10_000));
  if (options.withSite) await part('site', () => site(small ? 40 : 10_000));
  await part('micro cases', async () => microCases(small));
  await part('agent tools', () => agentTools(small ? 50 : 5000, small ? 1 : 9));
  await part('tokens, whole file against tools', async () => [
    ...oneLineChange(3000),
    ...(await demoTokens()),
  ]);
  // The longest part last: what came before is already written if it is cut short.
  await part('overhead in process, large', async () => [
    await overheadInProcess(small ? 6 : 2000, small ? 2 : 8, small ? 20 : 200, 1.15),
  ]);
  return { figures, where };
}

if (import.meta.main) {
  const small = process.env.BENCH_SIZE === 'small';
  const out =
    process.env.BENCH_OUT ?? join(REPO_ROOT, 'bench', small ? 'results-small.json' : 'results.json');
  const { figures, where } = await runBench({ small, out, withSite: process.env.BENCH_SITE !== 'off' });
  console.log(
    `\nmachine: ${where.cpu}, ${where.cores} cores, ${where.memory_gb} GB, load ${where.load_average_1m_at_start} at the start, Node ${where.node}, ${where.git}`,
  );
  console.log(table(figures));
  console.log(`\nwritten to ${out}`);
  process.exitCode = figures.some((figure) => figure.ok === false) ? 1 : 0;
}
