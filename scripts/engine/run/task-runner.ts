// Drives one task through code, review and merge, one saved step at a time; a transient error pauses it.
import { type ErrorInfo, FactoryError, pausesTask, toErrorInfo } from '../../core/errors.ts';
import { newRunRecord, syncWithTask, transition } from '../../core/record/record-ops.ts';
import type { RunRecord } from '../../core/record/run-record.ts';
import type { Task } from '../../core/task/task.ts';
import { canTransition, isFinal, type TaskEvent } from '../../core/task/task-state.ts';
import { code, startIteration } from '../steps/code.ts';
import { awaitPerson, merge } from '../steps/merge.ts';
import { review } from '../steps/review.ts';
import type { EngineServices } from '../types.ts';
import { TaskContext } from './task-context.ts';

/**
 * How a task's turn in this run ended. `refused`: the forge refused the factory's token or a
 * permission — the set-up, not the task, is wrong, so the task pauses and the run stops.
 * `unreachable`: the forge could not be reached at all (DNS, a refused connection) — an outage
 * every other task would meet too, so the task pauses and the run stops.
 */
export type TaskOutcome = 'final' | 'paused' | 'stopped' | 'refused' | 'unreachable';

/**
 * Drives one task through the loop of DESIGN.md — code → protocol → pull request → checks and
 * review → iterate → merge — one persisted step at a time, so a crash at any point resumes from
 * the last saved state. Expected failures end in the record, not in an exception; a transient
 * forge or network error pauses the task for a later run. The steps live in `steps/`.
 */
export class TaskRunner {
  readonly #ctx: TaskContext;

  private constructor(ctx: TaskContext) {
    this.#ctx = ctx;
  }

  static async open(task: Task, services: EngineServices): Promise<TaskRunner> {
    const reviewer = services.registry.reviewerFor(task).name;
    const now = services.now().toISOString();
    const existing = await services.store.read(task.task_id);
    const record = syncWithTask(existing ?? newRunRecord(task, reviewer, now), task, reviewer);
    return new TaskRunner(new TaskContext(task, record, services));
  }

  get record(): RunRecord {
    return this.#ctx.record;
  }

  /** Runs steps until the task is final, waits on something outside (budget, checks, a person), or the run stops. */
  async run(): Promise<TaskOutcome> {
    const { signal } = this.#ctx.services;
    while (!isFinal(this.#ctx.record.state)) {
      if (signal?.aborted) return 'stopped';
      let progressed: boolean;
      try {
        progressed = await this.#step();
      } catch (error) {
        if (await this.#holdForPerson(error)) return 'paused';
        if (!pausesTask(error)) throw error;
        const info = toErrorInfo(error);
        await this.#ctx.pause(info);
        // Model calls report their own failures (`callFailed`): what is thrown here is the forge's.
        if (info.class === 'network') return 'unreachable';
        return info.class === 'auth' ? 'refused' : 'paused';
      }
      if (!progressed) return signal?.aborted ? 'stopped' : 'paused';
    }
    return 'final';
  }

  /**
   * Keeps a task where it is, recording why it cannot go on now (a missing key): it continues in a
   * later run once the reason is gone. The record is rewritten only when the reason changes.
   */
  async hold(reason: ErrorInfo): Promise<void> {
    await this.#ctx.pause(reason);
  }

  /** Says on the pull request of a failed or rejected task why it ended, and closes it, if not done yet. */
  closeOut(): Promise<void> {
    return this.#ctx.closeOut();
  }

  /** Marks a pending task blocked by a dependency, or reopens a blocked one. */
  async move(event: Extract<TaskEvent, 'block' | 'retry'>, reason?: string): Promise<void> {
    const next = transition(this.#ctx.record, event, this.#ctx.now());
    await this.#ctx.save({ ...next, last_error: reason ? { class: 'dependency', message: reason } : null });
  }

  /**
   * A forge that cannot show the whole change (`control_plane`: GitHub cut a tree short) leaves
   * the control-plane rule undecidable: the task waits for a person, with the forge's reason.
   */
  async #holdForPerson(error: unknown): Promise<boolean> {
    const ctx = this.#ctx;
    if (!(error instanceof FactoryError) || error.errorClass !== 'control_plane') return false;
    if (!canTransition(ctx.record.state, 'hold')) return false;
    ctx.say(`waiting for a person: ${error.message}`);
    await ctx.save({ ...transition(ctx.record, 'hold', ctx.now()), last_error: error.toInfo() });
    return true;
  }

  async #step(): Promise<boolean> {
    const ctx = this.#ctx;
    switch (ctx.record.state) {
      case 'pending':
      case 'changes_requested':
        await startIteration(ctx);
        return true;
      case 'running':
        return code(ctx);
      case 'proposed':
        await ctx.save(transition(ctx.record, 'review', ctx.now()));
        return true;
      case 'reviewing':
        return review(ctx);
      case 'approved':
        return merge(ctx);
      case 'needs_human':
        return awaitPerson(ctx);
      default:
        return false;
    }
  }
}
