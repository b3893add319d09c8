// One task's turn in a run as its steps see it: the task, the services, and its record, saved per transition.
import type { Agent } from '../../agents/types.ts';
import { type ErrorInfo, toErrorInfo } from '../../core/errors.ts';
import {
  type AttemptInput,
  type AttemptSource,
  attemptBase,
  branchFor,
  endNotice,
  transition,
  withAttempt,
} from '../../core/record/record-ops.ts';
import type { Attempt, RunRecord } from '../../core/record/run-record.ts';
import type { Session } from '../../core/record/session-log.ts';
import type { Task } from '../../core/task/task.ts';
import { isFinal } from '../../core/task/task-state.ts';
import type { EngineServices } from '../types.ts';

/**
 * One task's turn in a run, as the steps see it: the task, the services, and its record, which
 * every step changes only through `save` (one atomic write per transition).
 */
export class TaskContext {
  readonly task: Task;
  readonly services: EngineServices;
  #record: RunRecord;

  constructor(task: Task, record: RunRecord, services: EngineServices) {
    this.task = task;
    this.services = services;
    this.#record = record;
  }

  get record(): RunRecord {
    return this.#record;
  }

  /** The services' clock, as the ISO time records keep. */
  now(): string {
    return this.services.now().toISOString();
  }

  /** A progress line for this task. */
  say(message: string): void {
    this.services.progress.step(this.#record.task_id, message);
  }

  /**
   * Makes `record` the current one without writing it: it is written with the next `save`, so
   * what it adds (a check run) lands together with what follows (the verdict), in one write.
   */
  stage(record: RunRecord): void {
    this.#record = record;
  }

  /** Writes `record` (atomically, validated) and makes it the current one. */
  async save(record: RunRecord): Promise<void> {
    this.#record = record;
    await this.services.store.write(record);
    if (isFinal(record.state)) {
      this.services.progress.done(record);
      await this.closeOut();
    }
  }

  /**
   * On the pull request of a task that ended failed or rejected: comments why, once, and closes it,
   * then records that it did. A forge error leaves it for the next run (the orchestrator asks
   * again), since the task itself has ended either way.
   */
  async closeOut(): Promise<void> {
    const notice = endNotice(this.#record);
    if (!notice) return;
    const { forge } = this.services;
    try {
      const pr = await forge.findPullRequest(branchFor(this.#record.task_id));
      if (pr && pr.state === 'open') {
        await forge.commentOnce(pr, notice.key, notice.body);
        await forge.closePullRequest(pr);
      }
    } catch (error) {
      this.services.progress.warn?.(
        `${this.#record.task_id}: could not close its pull request yet (${toErrorInfo(error).message}); the next run tries again`,
      );
      return;
    }
    const pullRequest = { ...this.#record.pull_request!, closed: true as const };
    this.#record = { ...this.#record, pull_request: pullRequest };
    await this.services.store.write(this.#record);
  }

  async fail(error: ErrorInfo, record: RunRecord = this.#record): Promise<void> {
    await this.save({ ...transition(record, 'fail', this.now()), last_error: error });
  }

  /**
   * Keeps the task where it is, recording why it cannot go on now (a missing key, an outage,
   * pending checks): a later run continues from here. Rewrites the record only when the reason
   * changes, so a waiting task costs no write per run.
   */
  async pause(reason: ErrorInfo, changes: Partial<RunRecord> = {}): Promise<false> {
    const current = this.#record.last_error;
    const unchanged = Object.entries(changes).every(
      ([key, value]) => this.#record[key as keyof RunRecord] === value,
    );
    if (current?.class === reason.class && current.message === reason.message && unchanged) return false;
    this.say(`waiting: ${reason.message}`);
    await this.save({ ...this.#record, ...changes, last_error: reason, updated_at: this.now() });
    return false;
  }

  /** An attempt of `kind` started at `started`, made by `agent`, with the cost of `answer`. */
  attempt(kind: Attempt['kind'], started: Date, source: AttemptSource = {}): AttemptInput {
    return attemptBase(kind, source, started.toISOString());
  }

  /** The current record with `input` appended; the caller saves it with its transition, in one write. */
  withAttempt(input: AttemptInput): RunRecord {
    return withAttempt(this.#record, input, this.now());
  }

  /** Reads `paths` from `ref` (default: the default branch) through the forge. */
  async readFiles(paths: readonly string[], ref?: string): Promise<Map<string, string | undefined>> {
    const { forge } = this.services;
    const entries = await Promise.all(
      paths.map(async (path) => [path, await forge.readFile(path, ref)] as const),
    );
    return new Map(entries);
  }

  /**
   * A model call that failed: a stopping run, a budget cap or a refused key pauses the task (it
   * is about the setup, not the task); anything else fails it. `before` is what a tool loop did
   * before the call that failed.
   */
  async callFailed(
    kind: 'code' | 'review',
    agent: Agent,
    started: Date,
    error: ErrorInfo,
    before?: { answer: NonNullable<AttemptSource['answer']> | undefined; session: Session },
  ): Promise<boolean> {
    // Cancelled by a stopping run (SIGINT/SIGTERM): nothing is recorded, so the next run asks
    // again from the same state.
    if (this.services.signal?.aborted) return false;
    // A tool loop's earlier answers were paid for: the attempt counts them and keeps its session.
    const base = before
      ? {
          ...this.attempt(kind, started, before.answer ? { agent, answer: before.answer } : { agent }),
          session: before.session,
        }
      : this.attempt(kind, started, { agent });
    if (error.class === 'budget' || error.class === 'auth') {
      this.say(`paused: ${error.message}`);
      await this.save({ ...this.withAttempt({ ...base, result: 'skipped', error }), last_error: error });
      return false;
    }
    await this.fail(error, this.withAttempt({ ...base, result: 'error', error }));
    return true;
  }
}
