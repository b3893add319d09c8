/**
 * Speed and memory of the hot paths, against targets. Timings belong here, not in unit tests:
 * shared machines are noisy, so each case reports the median of several runs.
 */
import { parseProposal, renderProposal } from '../../scripts/core/protocol/proposal.ts';
import { stableStringify } from '../../scripts/core/stable-json.ts';
import { buildSnapshots } from '../../scripts/core/status/snapshot.ts';
import { planRun } from '../../scripts/core/task/schedule.ts';
import type { TaskState } from '../../scripts/core/task/task-state.ts';
import { validateTasks } from '../../scripts/core/task/validate.ts';
import { SecretGuard } from '../../scripts/engine/guard/secret-guard.ts';
import { sampleData } from '../fixtures/sample-data.ts';
import type { Figure } from './report.ts';

interface Case {
  name: string;
  targetMs: number;
  run: () => unknown;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The micro cases; `small` shrinks their inputs (timings then mean nothing). */
export function microCases(small: boolean): Figure[] {
  const big = sampleData(small ? 200 : 10_000);
  const sources = big.tasks.slice(0, 1000).map((task) => ({
    path: `tasks/${task.task_id}.json`,
    text: `${JSON.stringify(task, null, 2)}\n`,
  }));
  const agents = {
    names: () => ['gemini-pro', 'gpt', 'grok-fast'],
    grantsOf: (name: string) => (name === 'grok-fast' ? ['.github'] : []),
  };
  const states = new Map<string, TaskState>(big.records.map((record) => [record.task_id, record.state]));
  const answer = `Here it is.\n\n${renderProposal(
    Array.from({ length: 50 }, (_, index) => ({
      path: `src/file-${index}.ts`,
      content: 'export const x = 1;\n'.repeat(500),
      lang: 'ts',
    })),
  )}`;
  const rows = (
    buildSnapshots({
      tasks: big.tasks,
      records: big.records,
      ci: [],
      commitsPerDay: {},
      scheduleIntervalSeconds: 3600,
    }).get('tasks.json') as {
      tasks: { id: string; title: string; state: string; assignee: string; labels: string[] }[];
    }
  ).tasks;

  // A proposal file made only of key-shaped matches (one per line), and one of random base64: the
  // secret scan used to count newlines from the start for each match (11.6 s for the first).
  const keyShaped = Array.from(
    { length: small ? 100 : 12_000 },
    (_, i) => `k${i} = sk-proj-${String(i).padStart(6, '0')}ABCDEFGHIJKLMNOPQRSTU\n`,
  ).join('');
  // Tokens secretlint reports, one per line: secretlint compares each finding with every other one.
  const tokens = Array.from(
    { length: small ? 100 : 10_500 },
    (_, i) => `t${i} = ghp_${String(i).padStart(6, '0')}ABCDEFGHIJKLMNOPQRSTUVWXYZ1234\n`,
  ).join('');
  let seed = 1;
  const noise = Buffer.from(
    Array.from({ length: small ? 1024 : 1536 * 1024 }, () => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return seed >>> 24;
    }),
  ).toString('base64');
  const guard = SecretGuard.fromEnv({
    OPENAI_API_KEY: 'sk-proj-bench0123456789abcdefABCDEF', // aifactory:allow-secret
    GITHUB_TOKEN: 'ghs_bench0123456789abcdefABCDEF0123', // aifactory:allow-secret
  });

  const cases: Case[] = [
    {
      name: 'validate 1,000 task files',
      targetMs: 1500,
      run: () => validateTasks(sources, { agents, allowedDirs: ['src'], plugins: [] }),
    },
    { name: 'plan a run over 10,000 tasks', targetMs: 200, run: () => planRun(big.tasks, states) },
    {
      name: 'build snapshots of 10,000 tasks',
      targetMs: 3000,
      run: () => {
        const files = buildSnapshots({
          tasks: big.tasks,
          records: big.records,
          ci: [],
          commitsPerDay: {},
          scheduleIntervalSeconds: 3600,
        });
        for (const value of files.values()) stableStringify(value);
      },
    },
    { name: 'parse a 500 KB proposal of 50 files', targetMs: 50, run: () => parseProposal(answer) },
    {
      name: 'secret scan, 500 KiB of key-shaped text',
      targetMs: 300,
      run: () => guard.scan([{ path: 'src/keys.ts', content: keyShaped }]),
    },
    {
      name: 'secret scan, 500 KiB of GitHub tokens',
      targetMs: 600,
      run: () => guard.scan([{ path: 'src/tokens.ts', content: tokens }]),
    },
    {
      name: 'secret scan, 2 MiB of random base64',
      targetMs: 300,
      run: () => guard.scan([{ path: 'src/noise.txt', content: noise }]),
    },
    { name: 'redact 2 MiB of random base64', targetMs: 50, run: () => guard.redact(noise) },
    {
      name: 'filter + search + sort 10,000 table rows',
      targetMs: 30,
      run: () =>
        rows
          .filter(
            (row) =>
              row.state === 'merged' &&
              row.labels.includes('docs') &&
              row.title.toLowerCase().includes('retry'),
          )
          .sort((a, b) => a.id.localeCompare(b.id)),
    },
  ];

  const figures: Figure[] = [];
  for (const entry of cases) {
    entry.run();
    const times: number[] = [];
    for (let i = 0; i < (small ? 1 : 7); i += 1) {
      const start = performance.now();
      entry.run();
      times.push(performance.now() - start);
    }
    const ms = median(times);
    figures.push({
      name: entry.name,
      value: ms,
      unit: 'ms',
      target: `≤ ${entry.targetMs} ms`,
      ok: ms <= entry.targetMs,
    });
  }
  const heapMb = process.memoryUsage().heapUsed / 1024 / 1024;
  figures.push({
    name: 'heap after the micro cases',
    value: heapMb,
    unit: 'MB',
    target: '≤ 512 MB',
    ok: heapMb <= 512,
  });
  return figures;
}
