/**
 * `npm run bench`: speed and memory of the hot paths, against targets. Timings belong here, not
 * in unit tests: shared machines are noisy, so each case reports the median of several runs.
 */
import { parseProposal, renderProposal } from '../../scripts/core/proposal.ts';
import { planRun } from '../../scripts/core/schedule.ts';
import { buildSnapshots } from '../../scripts/core/snapshot.ts';
import { stableStringify } from '../../scripts/core/stable-json.ts';
import type { TaskState } from '../../scripts/core/task-state.ts';
import { validateTasks } from '../../scripts/core/validate.ts';
import { sampleData } from '../fixtures/sample-data.ts';

interface Case {
  name: string;
  targetMs: number;
  run: () => unknown;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const big = sampleData(10_000);
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

let failed = 0;
console.log(`${'case'.padEnd(42)} ${'median ms'.padStart(10)} ${'target'.padStart(8)}  result`);
for (const entry of cases) {
  entry.run();
  const times: number[] = [];
  for (let i = 0; i < 7; i += 1) {
    const start = performance.now();
    entry.run();
    times.push(performance.now() - start);
  }
  const ms = median(times);
  const ok = ms <= entry.targetMs;
  if (!ok) failed += 1;
  console.log(
    `${entry.name.padEnd(42)} ${ms.toFixed(1).padStart(10)} ${String(entry.targetMs).padStart(8)}  ${ok ? 'ok' : 'SLOW'}`,
  );
}
const heapMb = process.memoryUsage().heapUsed / 1024 / 1024;
console.log(`\nheap after all cases: ${heapMb.toFixed(0)} MB (target ≤ 512 MB)`);
if (heapMb > 512) failed += 1;
process.exitCode = failed > 0 ? 1 : 0;
