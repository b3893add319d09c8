/** `shared/evals/<run-id>.json`: one eval run, replaying merged tasks against one agent or model. */
import { z } from 'zod';
import { ErrorInfoSchema } from '../errors.ts';
import { TokensSchema } from './run-record.ts';

const IsoTime = z.iso.datetime({ offset: true });
const Usd = z.number().nonnegative();
const Sha = z.string().regex(/^[0-9a-f]{7,64}$/, 'a commit id in hex');

/** An eval run's id: the start time and a short random suffix, safe as a file name. */
export const EVAL_RUN_ID = /^\d{8}T\d{6}Z-[0-9a-z]{4,12}$/;

/** How a candidate's change did against one kind of check. `none` when there was nothing to run. */
export const CHECK_OUTCOMES = ['pass', 'fail', 'none', 'error'] as const;
export type CheckOutcome = (typeof CHECK_OUTCOMES)[number];

/** One replayed task: what the candidate did, judged against the accepted change. */
export const EvalCaseSchema = z.strictObject({
  task_id: z.string().min(1),
  /** The commit the accepted change started from, where the replay starts too. */
  base_sha: Sha,
  /** The accepted change's merge (or head) commit, whose tests are the hidden tests. */
  accepted_sha: Sha,
  status: z.enum(['done', 'no_answer', 'error']),
  /** `checks.command` on the candidate's change alone. */
  own_checks: z.enum(CHECK_OUTCOMES),
  /** The accepted change's added or modified tests, applied over the candidate's change. */
  hidden_tests: z.enum(CHECK_OUTCOMES),
  /** Test files the hidden-test stage applied, as repository paths. */
  hidden_test_files: z.array(z.string()),
  /** Changed lines (added + removed) of the candidate's diff, and of the accepted change's. */
  diff_lines: z.int().nonnegative(),
  accepted_diff_lines: z.int().nonnegative(),
  tokens: TokensSchema,
  cost_usd: Usd,
  duration_ms: z.int().nonnegative(),
  /** Why a case ended `error` or `no_answer`: bounded and redacted. */
  error: ErrorInfoSchema.optional(),
  finished_at: IsoTime,
});

/** The whole eval run. Written after every case, so a stopped run resumes where it stopped. */
export const EvalRunSchema = z.strictObject({
  version: z.literal(1),
  run_id: z.string().regex(EVAL_RUN_ID, 'an eval run id such as 20261207T101500Z-a1b2'),
  /** The agent evaluated, and the model it used (`provider:model`). */
  agent: z.string().min(1),
  model: z.string().min(1),
  started_at: IsoTime,
  /** Null until every selected task has a case. */
  finished_at: IsoTime.nullable(),
  /** The tasks selected for the run, in order; `cases` holds those finished so far. */
  task_ids: z.array(z.string().min(1)),
  cases: z.array(EvalCaseSchema),
  /** Set when the run stopped at `caps.eval_daily_usd` before finishing. */
  stopped_by_cap: z.boolean(),
});

export type EvalCase = z.infer<typeof EvalCaseSchema>;
export type EvalRun = z.infer<typeof EvalRunSchema>;
