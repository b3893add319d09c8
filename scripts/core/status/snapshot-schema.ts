// The schemas of `shared/status/`: summary, tasks, task details, agents, CI and history, shared with the site.
import { z } from 'zod';
import { ErrorInfoSchema } from '../errors.ts';
import { CAUSE_CLASSES } from '../record/failure-cause.ts';
import { AttemptSchema, RejectionSchema, TokensSchema } from '../record/run-record.ts';
import { TASK_STATES } from '../task/task-state.ts';
import { RUN_TRIGGERS } from './agent-status.ts';

/**
 * The files of `shared/status/`, read by the dashboard at build time. The site imports these
 * same schemas, so a snapshot the factory writes is a snapshot the site can read.
 */

const IsoTime = z.iso.datetime({ offset: true });
const Usd = z.number().nonnegative();

export const StateCountsSchema = z.record(z.enum(TASK_STATES), z.int().nonnegative());

/** `summary.json`: the overview, small enough to poll. */
export const SummarySchema = z.strictObject({
  version: z.literal(1),
  /** The newest change in the data (not the clock), so unchanged data gives unchanged bytes. */
  generated_at: IsoTime.nullable(),
  schedule_interval_seconds: z.int().positive().nullable(),
  tasks_total: z.int().nonnegative(),
  by_state: StateCountsSchema,
  merged_last_7_days: z.int().nonnegative(),
  success_rate: z.number().min(0).max(1).nullable(),
  tokens: TokensSchema,
  cost_usd: Usd,
  /** How the last run was started, and when; null before the first run that recorded it. */
  last_run: z
    .strictObject({ trigger: z.enum(RUN_TRIGGERS), started_at: IsoTime, finished_at: IsoTime.nullable() })
    .nullable(),
  /** The start of the newest run started by a schedule (GitHub's or `watch`). */
  last_scheduled_at: IsoTime.nullable(),
  /** Some answers came from recorded cassettes (the demo): those figures are a replay's and cost $0. */
  replayed: z.boolean(),
});

/** One row of `tasks.json`: the compact index the tasks table filters on the client. */
export const TaskRowSchema = z.strictObject({
  id: z.string(),
  title: z.string(),
  state: z.enum(TASK_STATES),
  assignee: z.string(),
  reviewer: z.string().nullable(),
  labels: z.array(z.string()),
  priority: z.int(),
  /** Iterations since the task was last retried (or ever): what counts against max_iterations. */
  iteration: z.int().nonnegative(),
  pr: z.int().positive().nullable(),
  pr_url: z.string().nullable(),
  updated_at: IsoTime.nullable(),
  cost_usd: Usd,
  tokens: z.int().nonnegative(),
  /**
   * Why a failed, rejected or blocked task ended there (`core/record/failure-cause.ts`). Optional, so
   * snapshots written before it was added still read.
   */
  cause: z.enum(CAUSE_CLASSES).optional(),
});

export const TasksSchema = z.strictObject({ version: z.literal(1), tasks: z.array(TaskRowSchema) });

/** `tasks/<task_id>.json`: everything the detail page shows, loaded only there. */
export const TaskDetailSchema = z.strictObject({
  version: z.literal(1),
  task: TaskRowSchema.extend({
    description: z.string(),
    files: z.array(z.string()),
    depends_on: z.array(z.string()),
    max_iterations: z.int().positive(),
    branch: z.string().nullable(),
    created_at: IsoTime.nullable(),
    merged_at: IsoTime.nullable(),
    merge_commit: z.string().nullable(),
    last_error: ErrorInfoSchema.nullable(),
    rejection: RejectionSchema.nullable(),
    /** What names the cause: the rule broken, the last failing output, the error. */
    cause_detail: z.string().optional(),
  }),
  attempts: z.array(AttemptSchema),
});

/** Per agent, or per model: the comparison of the agents page. */
export const StatsSchema = z.strictObject({
  name: z.string(),
  tasks: z.int().nonnegative(),
  merged: z.int().nonnegative(),
  /** Tasks that ended failed (retries exhausted). */
  failed: z.int().nonnegative(),
  /** Tasks that ended rejected (a protocol rule broken). */
  rejected: z.int().nonnegative(),
  rejected_proposals: z.int().nonnegative(),
  proposals: z.int().nonnegative(),
  reviews: z.int().nonnegative(),
  approvals: z.int().nonnegative(),
  success_rate: z.number().min(0).max(1).nullable(),
  tokens: TokensSchema,
  /** Everything its calls cost: `coder_cost_usd` + `reviewer_cost_usd`. */
  cost_usd: Usd,
  /** What its calls cost while writing code. */
  coder_cost_usd: Usd,
  /** What its calls cost while reviewing other agents' tasks. */
  reviewer_cost_usd: Usd,
  /**
   * What a merged task it coded cost in all, its reviews included: each merged task is charged
   * whole (coder and reviewer) to the agent or model that coded it.
   */
  cost_per_merged_usd: Usd.nullable(),
  median_minutes_to_merge: z.number().nonnegative().nullable(),
  /** From the first attempt to the first passed check run, for tasks whose checks passed. */
  median_minutes_to_green: z.number().nonnegative().nullable(),
});

export const AgentsSchema = z.strictObject({
  version: z.literal(1),
  agents: z.array(StatsSchema),
  models: z.array(StatsSchema),
});

/** A check or workflow run. */
export const CiRunSchema = z.strictObject({
  name: z.string(),
  status: z.enum(['queued', 'in_progress', 'completed']),
  conclusion: z.enum(['success', 'failure', 'cancelled', 'skipped']).nullable(),
  url: z.string().nullable(),
  head_sha: z.string().nullable(),
  started_at: IsoTime,
});
export const CiSchema = z.strictObject({ version: z.literal(1), runs: z.array(CiRunSchema) });

export const HistoryBucketSchema = z.strictObject({
  /** A day (YYYY-MM-DD), or the Monday that starts a week for older data. */
  start: z.string(),
  merged: z.int().nonnegative(),
  attempts: z.int().nonnegative(),
  prs_opened: z.int().nonnegative(),
  commits: z.int().nonnegative(),
  cost_usd: Usd,
});

/** `history.json`: recent days in full, older weeks summed, so it stays small as years pass. */
export const HistorySchema = z.strictObject({
  version: z.literal(1),
  window_days: z.int().positive(),
  days: z.array(HistoryBucketSchema),
  weeks: z.array(HistoryBucketSchema),
});

/** A count out of a whole, e.g. 7 first-try greens of 9 tasks: the page shows both, never a bare rate. */
export const CountOfSchema = z.strictObject({ count: z.int().nonnegative(), of: z.int().nonnegative() });

/** A median over `of` values; null when there were none. */
export const MedianOfSchema = z.strictObject({
  median: z.number().nonnegative().nullable(),
  of: z.int().nonnegative(),
});

/** The newest eval run of an agent and model (`shared/evals/`), as the Models page shows it. */
export const ModelEvalSchema = z.strictObject({
  run_id: z.string(),
  /** When the eval finished, else when it started (an unfinished or capped run). */
  date: IsoTime,
  finished: z.boolean(),
  stopped_by_cap: z.boolean(),
  /** Replayed tasks with a case. */
  tasks: z.int().nonnegative(),
  /** Cases whose own checks passed, of the cases with checks to run or without a usable answer. */
  own_checks: CountOfSchema,
  /** Cases whose hidden tests passed, of the cases whose accepted change brought tests. */
  hidden_tests: CountOfSchema,
});

/** One row of the Models page: an agent with one model, and how far its work can be trusted. */
export const ModelRowSchema = z.strictObject({
  agent: z.string(),
  /** `provider:model`, as the model that answered named itself in the run records. */
  model: z.string(),
  /** Tasks whose last proposal this agent and model wrote. */
  tasks: z.int().nonnegative(),
  /** Fewer than 10 tasks: the figures say little yet. */
  small_sample: z.boolean(),
  /** Tasks whose first check run, on the first iteration, passed, of tasks whose checks ran. */
  first_try_green: CountOfSchema,
  /** Iterations a task took to a merge that stayed. */
  iterations_to_merge: MedianOfSchema,
  /** Merges that stayed, of the tasks that ended (a fault of the factory or the forge left out). */
  merged: CountOfSchema.extend({ reverted: z.int().nonnegative() }),
  cost_per_merged_usd: MedianOfSchema,
  minutes_to_merge: MedianOfSchema,
  eval: ModelEvalSchema.nullable(),
});

/** A commit on the default branch that reverts a factory merge (`This reverts commit <sha>`). */
export const RevertSchema = z.strictObject({
  commit: z.string().regex(/^[0-9a-f]{7,64}$/),
  reverted: z.string().regex(/^[0-9a-f]{7,64}$/),
  /** Its committer day, YYYY-MM-DD. */
  day: z.string(),
});

/** Ended tasks of one week (its Monday) for one agent and model, counted by cause class. */
export const CauseWeekSchema = z.strictObject({
  week: z.string(),
  agent: z.string(),
  model: z.string(),
  counts: z.partialRecord(z.enum(CAUSE_CLASSES), z.int().positive()),
});

/**
 * `models.json`: the Models page. `reverts` also carries the reverts found so far to the next
 * snapshot, for a forge whose history is read only from the last snapshot on.
 */
export const ModelsSchema = z.strictObject({
  version: z.literal(1),
  rows: z.array(ModelRowSchema),
  causes: z.array(CauseWeekSchema),
  reverts: z.array(RevertSchema),
});

export type Summary = z.infer<typeof SummarySchema>;
export type TaskRow = z.infer<typeof TaskRowSchema>;
export type TaskDetail = z.infer<typeof TaskDetailSchema>;
export type Stats = z.infer<typeof StatsSchema>;
export type CiRun = z.infer<typeof CiRunSchema>;
export type HistoryBucket = z.infer<typeof HistoryBucketSchema>;
export type History = z.infer<typeof HistorySchema>;
export type CountOf = z.infer<typeof CountOfSchema>;
export type MedianOf = z.infer<typeof MedianOfSchema>;
export type ModelEval = z.infer<typeof ModelEvalSchema>;
export type ModelRow = z.infer<typeof ModelRowSchema>;
export type Revert = z.infer<typeof RevertSchema>;
export type CauseWeek = z.infer<typeof CauseWeekSchema>;
export type Models = z.infer<typeof ModelsSchema>;
