// One pass of the factory: plans from the recorded states, runs every runnable task under a lease, to a stop.
import type { ErrorInfo } from '../../core/errors.ts';
import { endNotice } from '../../core/record/record-ops.ts';
import type { RunRecord } from '../../core/record/run-record.ts';
import { type Plan, planRun } from '../../core/task/schedule.ts';
import type { Task } from '../../core/task/task.ts';
import { isFinal, type TaskState } from '../../core/task/task-state.ts';
import type { EngineServices } from '../types.ts';
import { CallSlots } from './call-slots.ts';
import { Leases } from './leases.ts';
import { TaskRunner } from './task-runner.ts';

/** What one `run --once` did. */
export interface RunSummary {
  /** Records of every task touched in this run, by id. */
  records: Map<string, RunRecord>;
  /** Tasks another live run holds. */
  skipped: string[];
  /** Tasks still waiting (on dependencies, budget or pending checks). */
  waiting: string[];
  /** Selected tasks that were already final when the run began, with their state: nothing to do. */
  finished: Map<string, TaskState>;
  stopped: boolean;
  /**
   * Why the run stopped starting tasks early: the forge refused the factory's token or one of
   * its permissions (the message names it). Every other task would meet the same refusal.
   */
  refused?: string;
  /**
   * Why the run stopped starting tasks early: the forge could not be reached (the message names
   * where it looked). A transient outage: the tasks wait, and the next run goes on.
   */
  unreachable?: string;
}

/**
 * Tasks open at once for each call slot: while one task pushes, opens its pull request or merges,
 * another's agent is at work, so the forge's steps stay off the path of the model calls.
 */
const OPEN_TASKS_PER_SLOT = 2;
/** What `runOnce` is asked to do beyond running every runnable task. */
export interface RunOnceOptions {
  /** Agent calls at once. */
  concurrency: number;
  only?: ReadonlySet<string>;
  /** Tasks that cannot run now (e.g. their agent has no key), with the reason to record. */
  held?: ReadonlyMap<string, ErrorInfo>;
  /** The most tasks started in this run (`run --max-tasks`); the rest wait for the next run. */
  maxTasks?: number;
  /**
   * Tasks the cost forecast leaves for tomorrow: not started, and untouched (they stay in their
   * state). Each still takes its place under `maxTasks`, as the forecast counted it there.
   */
  deferred?: ReadonlySet<string>;
}

/**
 * One pass of the factory: repeatedly plans from the recorded states, runs every runnable task
 * (each under a lease) until nothing more can move in this run. `concurrency` agent calls are
 * made at once (see `CallSlots`), and twice as many tasks are open. Tasks whose dependencies
 * merge during the run start in the same run.
 */
export async function runOnce(
  tasks: readonly Task[],
  services: EngineServices,
  options: RunOnceOptions,
): Promise<RunSummary> {
  const { records, damaged } = await services.store.readAll();
  // A damaged record is never trusted: its task sits this run out (its dependents wait on it),
  // and the warning says which file to restore.
  for (const problem of damaged.values()) services.progress.warn?.(`${problem}; its task is skipped`);
  const pass = new RunPass(tasks, services, options, records, damaged);
  try {
    await pass.closeOutEnded();
    await pass.runUntilStill();
  } finally {
    await pass.releaseLeases();
  }
  return pass.summary();
}

/** The state of one `runOnce`, and its steps. */
class RunPass {
  private readonly states: Map<string, TaskState>;
  private readonly finished: Map<string, TaskState>;
  private readonly leases: Leases;
  private readonly slots: CallSlots;
  private readonly touched = new Map<string, RunRecord>();
  private readonly tried = new Set<string>();
  private readonly skipped: string[] = [];
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly failures: unknown[] = [];
  private refused: string | undefined;
  private unreachable: string | undefined;
  private started = 0;

  private readonly tasks: readonly Task[];
  private readonly services: EngineServices;
  private readonly options: RunOnceOptions;
  private readonly records: ReadonlyMap<string, RunRecord>;
  private readonly damaged: ReadonlyMap<string, string>;

  constructor(
    tasks: readonly Task[],
    services: EngineServices,
    options: RunOnceOptions,
    records: ReadonlyMap<string, RunRecord>,
    damaged: ReadonlyMap<string, string>,
  ) {
    this.tasks = tasks;
    this.services = services;
    this.options = options;
    this.records = records;
    this.damaged = damaged;
    this.states = new Map([...records].map(([id, record]) => [id, record.state]));
    this.finished = new Map(
      tasks
        .filter(
          (task) => options.only?.has(task.task_id) && isFinal(this.states.get(task.task_id) ?? 'pending'),
        )
        .map((task) => [task.task_id, this.states.get(task.task_id)!] as const),
    );
    this.leases = new Leases(services.root);
    this.slots = new CallSlots(options.concurrency);
  }

  /**
   * Pull requests of tasks that ended without merging, still open because a forge error got in
   * the way when they ended: said and closed now, once.
   */
  async closeOutEnded(): Promise<void> {
    for (const task of this.tasks) {
      const record = this.records.get(task.task_id);
      if (!record || !this.selected(task) || !endNotice(record) || this.services.signal?.aborted) continue;
      if (!(await this.leases.acquire(task.task_id))) continue;
      try {
        const runner = await TaskRunner.open(task, this.services);
        await runner.closeOut();
        if (runner.record.pull_request?.closed) this.touched.set(task.task_id, runner.record);
      } finally {
        await this.leases.release(task.task_id);
      }
    }
  }

  /** Plans, acts on each plan and waits for a task to finish, until nothing more can move. */
  /** Whether the run stops starting tasks: a signal, a failure, a refused token or an unreachable forge. */
  private stopping(): boolean {
    return (
      this.services.signal?.aborted === true ||
      this.failures.length > 0 ||
      this.refused !== undefined ||
      this.unreachable !== undefined
    );
  }

  async runUntilStill(): Promise<void> {
    // One plan per turn of the loop: planning 10,000 tasks is not free.
    let plans = planRun(this.tasks, this.states);
    for (;;) {
      if (this.stopping()) break;
      for (const plan of plans) await this.act(plan);
      if (this.inFlight.size > 0) await Promise.race(this.inFlight.values());
      plans = planRun(this.tasks, this.states);
      if (this.inFlight.size === 0 && !this.canMove(plans)) break;
    }
    await Promise.all(this.inFlight.values());
  }

  async releaseLeases(): Promise<void> {
    await this.leases.releaseAll();
  }

  /** The run's summary; a bug or broken repository met by a task is thrown here. */
  summary(): RunSummary {
    if (this.failures.length > 0) throw this.failures[0];
    const waiting = this.tasks
      .filter(
        (task) =>
          this.selected(task) &&
          !['merged', 'failed', 'rejected', 'blocked'].includes(this.states.get(task.task_id) ?? 'pending'),
      )
      .map((task) => task.task_id);
    const stopped =
      this.services.signal?.aborted === true || this.refused !== undefined || this.unreachable !== undefined;
    return {
      records: this.touched,
      skipped: this.skipped,
      waiting,
      finished: this.finished,
      stopped,
      ...(this.refused !== undefined ? { refused: this.refused } : {}),
      ...(this.unreachable !== undefined ? { unreachable: this.unreachable } : {}),
    };
  }

  /** Does what one plan asks, unless its task was already tried or is at work. */
  private async act(plan: Plan): Promise<void> {
    const id = plan.task.task_id;
    if (!this.selected(plan.task) || this.tried.has(id) || this.inFlight.has(id)) return;
    if (plan.action === 'block' || plan.action === 'unblock') {
      const runner = await TaskRunner.open(plan.task, this.services);
      await runner.move(
        plan.action === 'block' ? 'block' : 'retry',
        plan.action === 'block' ? plan.reason : undefined,
      );
      this.touched.set(id, runner.record);
      this.states.set(id, runner.record.state);
    } else if (plan.action === 'run' && this.options.deferred?.has(id)) {
      this.tried.add(id);
      if (this.canStart()) this.started += 1;
    } else if (plan.action === 'run' && this.options.held?.has(id)) {
      this.tried.add(id);
      const runner = await TaskRunner.open(plan.task, this.services);
      await runner.hold(this.options.held.get(id)!);
      this.touched.set(id, runner.record);
    } else if (
      plan.action === 'run' &&
      this.inFlight.size < this.options.concurrency * OPEN_TASKS_PER_SLOT &&
      this.canStart()
    ) {
      this.start(plan.task);
    }
  }

  /** Starts a task in the background, under its lease, with its rank in the call slots. */
  private start(task: Task): void {
    this.tried.add(task.task_id);
    const rank = this.started;
    this.started += 1;
    const work = this.runTask(task, rank)
      // Expected failures are in the record; what arrives here is a bug or a broken repository.
      .catch((error: unknown) => {
        this.failures.push(error);
      })
      .finally(() => this.inFlight.delete(task.task_id));
    this.inFlight.set(task.task_id, work);
  }

  private async runTask(task: Task, rank: number): Promise<void> {
    if (!(await this.leases.acquire(task.task_id))) {
      this.skipped.push(task.task_id);
      return;
    }
    try {
      const runner = await TaskRunner.open(task, {
        ...this.services,
        callAgent: this.slots.wrap(this.services.callAgent, rank),
      });
      const opened = runner.record;
      const outcome = await runner.run();
      if (outcome === 'refused') this.refused ??= runner.record.last_error?.message;
      if (outcome === 'unreachable')
        this.unreachable ??= runner.record.last_error?.message ?? 'the forge could not be reached';
      // A pull request still waiting for a person was only looked at: the run did not touch the
      // task, so a run with nothing else to do records, snapshots and commits nothing.
      if (runner.record !== opened || opened.state !== 'needs_human')
        this.touched.set(task.task_id, runner.record);
      this.states.set(task.task_id, runner.record.state);
    } finally {
      await this.leases.release(task.task_id);
    }
  }

  /** Whether a fresh plan still has something for this run to do. */
  private canMove(plans: readonly Plan[]): boolean {
    return plans.some(
      (plan) =>
        this.selected(plan.task) &&
        !this.tried.has(plan.task.task_id) &&
        plan.action !== 'done' &&
        plan.action !== 'wait' &&
        (plan.action !== 'run' || this.canStart()),
    );
  }

  private canStart(): boolean {
    return this.started < (this.options.maxTasks ?? Number.POSITIVE_INFINITY);
  }

  private selected(task: Task): boolean {
    return (!this.options.only || this.options.only.has(task.task_id)) && !this.damaged.has(task.task_id);
  }
}
