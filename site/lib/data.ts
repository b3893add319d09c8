import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import { formatUsd } from '../../scripts/core/money.ts';
import { AgentStatusFileSchema } from '../../scripts/core/status/agent-status.ts';
import {
  AgentsSchema,
  CiSchema,
  HistorySchema,
  ModelsSchema,
  SummarySchema,
  TaskDetailSchema,
  TasksSchema,
} from '../../scripts/core/status/snapshot-schema.ts';
import { TASK_STATES } from '../../scripts/core/task/task-state.ts';

/** The snapshot folder the site is built from: `AIFACTORY_STATUS_DIR`, else `shared/status`. */
export const STATUS_DIR = resolve(process.env.AIFACTORY_STATUS_DIR ?? 'shared/status');

function read<T extends z.ZodType>(file: string, schema: T, empty: z.infer<T>): z.infer<T> {
  const path = join(STATUS_DIR, file);
  if (!existsSync(path)) return empty;
  const parsed = schema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(
      `${path}: field "${issue.path.join('.')}": ${issue.message}; run \`aifactory snapshot\` again`,
    );
  }
  return parsed.data;
}

const emptyStates = Object.fromEntries(TASK_STATES.map((state) => [state, 0])) as Record<
  (typeof TASK_STATES)[number],
  number
>;

export const summary = () =>
  read('summary.json', SummarySchema, {
    version: 1,
    generated_at: null,
    schedule_interval_seconds: null,
    tasks_total: 0,
    by_state: emptyStates,
    merged_last_7_days: 0,
    success_rate: null,
    tokens: { input: 0, output: 0 },
    cost_usd: 0,
    last_run: null,
    last_scheduled_at: null,
    replayed: false,
  });
export const tasks = () => read('tasks.json', TasksSchema, { version: 1, tasks: [] }).tasks;
export const agents = () => read('agents.json', AgentsSchema, { version: 1, agents: [], models: [] });
export const agentStatus = () =>
  read('agent-status.json', AgentStatusFileSchema, {
    version: 1,
    day: null,
    spent_today_usd: 0,
    daily_cap_usd: null,
    run: null,
    agents: [],
  });
export const models = () =>
  read('models.json', ModelsSchema, { version: 1, rows: [], causes: [], reverts: [] });
export const ci = () => read('ci.json', CiSchema, { version: 1, runs: [] }).runs;
export const history = () =>
  read('history.json', HistorySchema, { version: 1, window_days: 90, days: [], weeks: [] });
export const taskDetail = (id: string) => {
  const detail = read(`tasks/${id}.json`, TaskDetailSchema.nullable(), null);
  if (!detail) throw new Error(`${STATUS_DIR}/tasks/${id}.json is missing; run \`aifactory snapshot\``);
  return detail;
};

/** The raw text of a snapshot file, for the JSON the browser polls and filters. */
export function rawFile(file: string, fallback: unknown): string {
  const path = join(STATUS_DIR, file);
  return existsSync(path) ? readFileSync(path, 'utf8') : `${JSON.stringify(fallback)}\n`;
}

/** An internal link under the site's base path. */
export function href(path = ''): string {
  const base = import.meta.env.BASE_URL.endsWith('/')
    ? import.meta.env.BASE_URL
    : `${import.meta.env.BASE_URL}/`;
  return `${base}${path.replace(/^\//, '')}`;
}

/** Money, by the one precision rule of the factory. */
export const usd = formatUsd;
export const percent = (value: number | null): string =>
  value === null ? '—' : `${Math.round(value * 100)} %`;
/** The task states in their order, from the state machine itself. */
export const STATE_ORDER = TASK_STATES;
export const stateLabel = (state: string): string => state.replaceAll('_', ' ');
/** Commits are shown by one short form everywhere (as GitHub abbreviates them). */
export const shortSha = (sha: string): string => sha.slice(0, 7);
