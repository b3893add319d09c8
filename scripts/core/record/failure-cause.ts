/** Why a task ended failed, rejected or blocked: one cause class computed from its run record. Pure. */
import type { ErrorClass } from '../errors.ts';
import { codedBy } from './record-ops.ts';
import type { Attempt, RunRecord } from './run-record.ts';

/**
 * The cause classes, most specific first in `failureCause`'s order. `forge` (the forge lost or
 * refused the pull request) and `internal` (a fault of the factory or its config) are not the
 * task's or the model's fault, and are kept apart so they never count against an agent.
 */
export const CAUSE_CLASSES = [
  'protocol',
  'review',
  'checks',
  'budget',
  'provider',
  'bad_output',
  'dependency',
  'person',
  'forge',
  'internal',
] as const;

export type CauseClass = (typeof CAUSE_CLASSES)[number];

/** A task's cause class, with what names it: the rule broken, the last failing output, the message. */
export interface FailureCause {
  class: CauseClass;
  detail: string;
}

const ENDED_STATES: ReadonlySet<string> = new Set(['failed', 'rejected', 'blocked']);

/** Error classes of a provider that could not answer: an outage, a limit, a refused key. */
const PROVIDER_ERRORS: ReadonlySet<ErrorClass> = new Set([
  'auth',
  'rate_limit',
  'server',
  'timeout',
  'network',
]);

/** Error classes that map straight onto a cause class of their own. */
const DIRECT: Partial<Record<ErrorClass, CauseClass>> = {
  bad_output: 'bad_output',
  budget: 'budget',
  dependency: 'dependency',
  protocol: 'protocol',
  forge: 'forge',
  race: 'forge',
};

/**
 * The factory's own words when a person closed a held pull request (`engine/steps/merge.ts`): the
 * only mark that hold leaves. Matched only on error classes whose message the factory writes
 * itself, never on text a provider or a model chose.
 */
const CLOSED_BY_PERSON = /^pull request (#\d+ )?was closed by a person without merging$/;

/** The last attempt of `kind` with `result`, newest first. */
function last(record: RunRecord, kind: Attempt['kind'], result: Attempt['result']): Attempt | undefined {
  return record.attempts.findLast((attempt) => attempt.kind === kind && attempt.result === result);
}

/** Ran out of iterations, or waited too long for checks: which of review and checks held it back. */
function reviewOrChecks(record: RunRecord, message: string): FailureCause {
  const failedChecks = last(record, 'checks', 'failed');
  if (failedChecks && !last(record, 'checks', 'passed')) {
    return { class: 'checks', detail: failedChecks.output ?? failedChecks.summary ?? message };
  }
  const review = last(record, 'review', 'changes_requested');
  if (review) return { class: 'review', detail: review.summary ?? message };
  return { class: 'checks', detail: message };
}

/**
 * The one cause class of a task that ended failed, rejected or blocked; `undefined` for any other
 * state. Reads only the record's structure (state, rejection, the error's class, the attempts),
 * so a model cannot pick its own class by choosing the words of an error.
 */
export function failureCause(record: RunRecord): FailureCause | undefined {
  if (!ENDED_STATES.has(record.state)) return undefined;
  if (record.rejection) {
    const where = record.rejection.path === null ? '' : ` (${record.rejection.path})`;
    return { class: 'protocol', detail: `${record.rejection.rule}${where}: ${record.rejection.message}` };
  }
  const error = record.last_error;
  if (record.state === 'blocked')
    return { class: 'dependency', detail: error?.message ?? 'a dependency ended' };
  const closing = record.attempts.at(-1);
  if (closing?.result === 'closed' || closing?.result === 'branch_gone') {
    return { class: 'person', detail: closing.output ?? error?.message ?? 'closed by a person' };
  }
  if (!error) return { class: 'internal', detail: 'the record ends without an error' };
  const factoryWords = error.class === 'control_plane' || error.class === 'checks';
  if (factoryWords && CLOSED_BY_PERSON.test(error.message)) return { class: 'person', detail: error.message };
  if (error.class === 'checks') return reviewOrChecks(record, error.message);
  if (PROVIDER_ERRORS.has(error.class))
    return { class: 'provider', detail: `${error.class}: ${error.message}` };
  return { class: DIRECT[error.class] ?? 'internal', detail: error.message };
}

/** A cause as one line, `class: detail`, the form `status` and the job summary show. */
export function causeNote(cause: FailureCause): string {
  return `${cause.class}: ${cause.detail}`;
}

/** One row of `status --causes`: an agent or a model, and how many of its tasks ended for each class. */
export interface CauseRow {
  name: string;
  counts: Partial<Record<CauseClass, number>>;
}

/**
 * Ended tasks per agent or per model (`provider:model`), counted by cause class. A task counts
 * under the agent and model of its last answered proposal (`codedBy`, as on the Models page);
 * one no model answered, under its assignee and `(no model)`. Sorted by name.
 */
export function causesBy(records: Iterable<RunRecord>, by: 'agent' | 'model'): CauseRow[] {
  const rows = new Map<string, Partial<Record<CauseClass, number>>>();
  for (const record of records) {
    const cause = failureCause(record);
    if (!cause) continue;
    const who = codedBy(record);
    const name = by === 'agent' ? (who?.agent ?? record.assignee) : (who?.model ?? '(no model)');
    const counts = rows.get(name) ?? {};
    counts[cause.class] = (counts[cause.class] ?? 0) + 1;
    rows.set(name, counts);
  }
  return [...rows.keys()].sort().map((name) => ({ name, counts: rows.get(name)! }));
}
