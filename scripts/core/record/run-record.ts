// The run record, `shared/runs/<task_id>.json`: a task's state and every attempt made on it, as a schema.
import { z } from 'zod';
import { ErrorInfoSchema } from '../errors.ts';
import { TaskIdSchema } from '../task/task.ts';
import { TASK_STATES } from '../task/task-state.ts';
import { SessionSchema } from './session-log.ts';
import { ReviewCommentSchema } from './verdict.ts';

const IsoTime = z.iso.datetime({ offset: true });

export const TokensSchema = z.strictObject({
  input: z.int().nonnegative(),
  output: z.int().nonnegative(),
});

/** Why a proposal was refused: the protocol rule broken and the path that broke it. */
export const RejectionSchema = z.strictObject({
  rule: z.string(),
  path: z.string().nullable(),
  message: z.string(),
});

/**
 * One step of work on a task: a coder's proposal, a review, a check run or a merge.
 * Attempts are only ever appended; the record's state is the latest word.
 */
export const AttemptSchema = z.strictObject({
  /** 1-based position in the record. */
  n: z.int().positive(),
  iteration: z.int().positive(),
  kind: z.enum(['code', 'review', 'checks', 'merge']),
  agent: z.string().nullable(),
  provider: z.string().nullable(),
  /** The model that actually answered (after any fallback). */
  model: z.string().nullable(),
  started_at: IsoTime,
  finished_at: IsoTime,
  tokens: TokensSchema,
  cost_usd: z.number().nonnegative(),
  result: z.enum([
    'proposed',
    'approved',
    'changes_requested',
    'passed',
    'failed',
    'rejected',
    'error',
    'merged',
    'skipped',
    'conflict',
    'head_moved',
    /** A person closed the pull request without merging, or deleted its branch. */
    'closed',
    'branch_gone',
  ]),
  /** The commit this attempt produced or checked. */
  commit: z.string().optional(),
  /** Paths written by a code attempt. */
  files: z.array(z.string()).optional(),
  summary: z.string().optional(),
  comments: z.array(ReviewCommentSchema).optional(),
  /** Tail of the check command's output, for a checks attempt. */
  output: z.string().optional(),
  error: ErrorInfoSchema.optional(),
  rejection: RejectionSchema.optional(),
  /** A code or review attempt's tool session: each turn's tokens and each call, bounded and redacted. */
  session: SessionSchema.optional(),
});

export const PullRequestRefSchema = z.strictObject({
  number: z.int().positive(),
  url: z.string().nullable(),
  /** Set once the factory said on the pull request why the task ended there, and closed it. */
  closed: z.literal(true).optional(),
});

/** `shared/runs/<task_id>.json`: everything that happened to one task, written atomically. */
export const RunRecordSchema = z.strictObject({
  version: z.literal(1),
  task_id: TaskIdSchema,
  title: z.string().nullable(),
  state: z.enum(TASK_STATES),
  assignee: z.string(),
  reviewer: z.string().nullable(),
  labels: z.array(z.string()),
  priority: z.int(),
  depends_on: z.array(TaskIdSchema),
  iteration: z.int().nonnegative(),
  max_iterations: z.int().positive(),
  branch: z.string().nullable(),
  pull_request: PullRequestRefSchema.nullable(),
  created_at: IsoTime,
  updated_at: IsoTime,
  merged_at: IsoTime.nullable(),
  merge_commit: z.string().nullable(),
  last_error: ErrorInfoSchema.nullable(),
  rejection: RejectionSchema.nullable(),
  /** The iteration a person's `retry` reopened the task at: its iteration budget counts from here. */
  retry_base: z.int().nonnegative().optional(),
  /**
   * Set by `retry --keep-branch`: the first iteration after the retry goes on from the task's
   * branch as it is. Without it, that iteration starts the branch over from the default branch,
   * so a fix a person made there since reaches the task.
   */
  retry_keeps_branch: z.literal(true).optional(),
  /** When the checks of the current head were first seen pending; they time out from here. */
  checks_pending_since: IsoTime.nullable().optional(),
  attempts: z.array(AttemptSchema),
});

export type Tokens = z.infer<typeof TokensSchema>;
export type Rejection = z.infer<typeof RejectionSchema>;
export type Attempt = z.infer<typeof AttemptSchema>;
export type RunRecord = z.infer<typeof RunRecordSchema>;
