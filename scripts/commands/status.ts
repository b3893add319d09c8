// `aifactory status`: the task table in the terminal, or with `--causes` why tasks ended, per agent and model.
import type { Command } from 'commander';
import { formatUsd } from '../core/money.ts';
import {
  CAUSE_CLASSES,
  type CauseRow,
  causeNote,
  causesBy,
  failureCause,
} from '../core/record/failure-cause.ts';
import { iterationsUsed, totals } from '../core/record/record-ops.ts';
import type { RunRecord } from '../core/record/run-record.ts';
import { causesByWeek } from '../core/status/model-stats.ts';
import type { CauseWeek } from '../core/status/snapshot-schema.ts';
import { RunStore } from '../engine/store/run-store.ts';
import { loadRunnableTasks } from '../engine/store/task-files.ts';
import { renderTable } from '../ui/table.ts';
import { clip, plural } from '../ui/words.ts';
import { positiveInt } from './shared/int-argument.ts';

interface StatusRow {
  task_id: string;
  state: string;
  assignee: string;
  reviewer: string | null;
  iteration: number;
  pull_request: number | null;
  cost_usd: number;
  /** Why a failed, rejected or blocked task ended there (`core/record/failure-cause.ts`). */
  cause?: string;
  note: string;
}

function rowOf(taskId: string, assignee: string, record: RunRecord | undefined): StatusRow {
  if (!record) {
    return {
      task_id: taskId,
      state: 'pending',
      assignee,
      reviewer: null,
      iteration: 0,
      pull_request: null,
      cost_usd: 0,
      note: '',
    };
  }
  const cause = failureCause(record);
  const note = cause
    ? causeNote(cause)
    : record.state === 'merged'
      ? (record.merge_commit ?? '').slice(0, 12)
      : (record.last_error?.message ?? '');
  return {
    task_id: taskId,
    state: record.state,
    assignee: record.assignee,
    reviewer: record.reviewer,
    // Counted from the last retry, as max_iterations counts them.
    iteration: iterationsUsed(record),
    pull_request: record.pull_request?.number ?? null,
    cost_usd: Math.round(totals(record).cost_usd * 10_000) / 10_000,
    ...(cause ? { cause: cause.class } : {}),
    note,
  };
}

/** The `--causes` table: one row per agent or model, one column per cause class seen. */
function causeTable(title: string, rows: readonly CauseRow[]): string {
  const seen = CAUSE_CLASSES.filter((cause) => rows.some((row) => row.counts[cause] !== undefined));
  const cells = rows.map((row) => [row.name, ...seen.map((cause) => String(row.counts[cause] ?? 0))]);
  return renderTable([title, ...seen.map((cause) => cause.toUpperCase())], cells);
}

/** The `--causes` table over time: one row per week, agent and model, newest week first. */
function weekTable(rows: readonly CauseWeek[], weeks: number): string {
  const kept = [...new Set(rows.map((row) => row.week))].slice(0, weeks);
  const recent = rows.filter((row) => kept.includes(row.week));
  const seen = CAUSE_CLASSES.filter((cause) => recent.some((row) => row.counts[cause] !== undefined));
  const cells = recent.map((row) => [
    row.week,
    row.agent,
    row.model,
    ...seen.map((cause) => String(row.counts[cause] ?? 0)),
  ]);
  return renderTable(['WEEK', 'AGENT', 'MODEL', ...seen.map((cause) => cause.toUpperCase())], cells);
}

/** Weeks `status --causes` shows by default; `--json` gives them all. */
const CAUSE_WEEKS = 8;

/** `aifactory status [--json] [--causes [--weeks n]]`: the task table in the terminal. */
export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('Print every task with its state, agents, iteration, pull request and cost.')
    .option('--json', 'print the rows as JSON')
    .option(
      '--causes',
      'count failed, rejected and blocked tasks by cause, per agent, per model, and per week',
    )
    .option('--weeks <n>', `weeks --causes shows, newest first (default ${CAUSE_WEEKS})`, positiveInt)
    .action(async (options: { json?: boolean; causes?: boolean; weeks?: number }) => {
      const root = process.cwd();
      const { tasks } = await loadRunnableTasks(root);
      const { records, damaged } = await new RunStore(root).readAll();
      for (const problem of damaged.values()) console.error(`warning: ${problem}; skipped`);
      if (options.causes) {
        const byAgent = causesBy(records.values(), 'agent');
        const byModel = causesBy(records.values(), 'model');
        const byWeek = causesByWeek(records.values());
        if (options.json) {
          return console.log(JSON.stringify({ agents: byAgent, models: byModel, weeks: byWeek }, null, 2));
        }
        if (byAgent.length === 0) return console.log('No task ended failed, rejected or blocked.');
        const weeks = options.weeks ?? CAUSE_WEEKS;
        return console.log(
          [
            causeTable('AGENT', byAgent),
            causeTable('MODEL', byModel),
            `By week (the Monday that starts it), the last ${plural(weeks, 'week')} with any:\n${weekTable(byWeek, weeks)}`,
          ].join('\n\n'),
        );
      }
      const ids = new Set([...tasks.map((task) => task.task_id), ...records.keys()]);
      const assignees = new Map(tasks.map((task) => [task.task_id, task.assignee]));
      const rows = [...ids]
        .sort()
        .map((id) => rowOf(id, assignees.get(id) ?? records.get(id)?.assignee ?? '?', records.get(id)));
      if (options.json) {
        console.log(JSON.stringify({ tasks: rows }, null, 2));
        return;
      }
      const header = ['TASK', 'STATE', 'ASSIGNEE', 'REVIEWER', 'ITER', 'PR', 'COST', 'NOTE'];
      const width = process.stdout.columns ?? 160;
      const cells = rows.map((row) => [
        row.task_id,
        row.state,
        row.assignee,
        row.reviewer ?? '—',
        String(row.iteration),
        row.pull_request ? `#${row.pull_request}` : '—',
        formatUsd(row.cost_usd),
        clip(row.note, Math.max(20, width - 100)),
      ]);
      console.log(renderTable(header, cells));
      const counts = new Map<string, number>();
      for (const row of rows) counts.set(row.state, (counts.get(row.state) ?? 0) + 1);
      console.log(
        `\n${plural(rows.length, 'task')}: ${[...counts]
          .sort()
          .map(([state, n]) => `${n} ${state}`)
          .join(', ')}`,
      );
    });
}
