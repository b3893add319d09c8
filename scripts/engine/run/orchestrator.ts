import type { ErrorInfo } from '../../core/errors.ts';
import { endNotice } from '../../core/record/record-ops.ts';
import type { RunRecord } from '../../core/record/run-record.ts';
import { planRun } from '../../core/task/schedule.ts';
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

/**
 * One pass of the factory: repeatedly plans from the recorded states, runs every runnable task
 * (each under a lease) until nothing more can move in this run. `concurrency` agent calls are
 * made at once (see `CallSlots`), and twice as many tasks are open. Tasks whose dependencies
 * merge during the run start in the same run.
 */
export async function runOnce(
  tasks: readonly Task[],
  services: EngineServices,
  options: {
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
  },
): Promise<RunSummary> {
  const { records, damaged } = await services.store.readAll();
  // A damaged record is never trusted: its task sits this run out (its dependents wait on it),
  // and the warning says which file to restore.
  for (const problem of damaged.values()) services.progress.warn?.(`${problem}; its task is skipped`);
  const states = new Map<string, TaskState>([...records].map(([id, record]) => [id, record.state]));
  const finished = new Map(
    tasks
      .filter((task) => options.only?.has(task.task_id) && isFinal(states.get(task.task_id) ?? 'pending'))
      .map((task) => [task.task_id, states.get(task.task_id)!] as const),
  );
  const leases = new Leases(services.root);
  const slots = new CallSlots(options.concurrency);
  const touched = new Map<string, RunRecord>();
  const tried = new Set<string>();
  const skipped: string[] = [];
  const inFlight = new Map<string, Promise<void>>();
  const failures: unknown[] = [];
  let refused: string | undefined;
  let unreachable: string | undefined;
  let started = 0;
  const canStart = (): boolean => started < (options.maxTasks ?? Number.POSITIVE_INFINITY);
  const selected = (task: Task): boolean =>
    (!options.only || options.only.has(task.task_id)) && !damaged.has(task.task_id);

  const start = (task: Task): void => {
    tried.add(task.task_id);
    const rank = started;
    started += 1;
    const work = (async () => {
      if (!(await leases.acquire(task.task_id))) {
        skipped.push(task.task_id);
        return;
      }
      try {
        const runner = await TaskRunner.open(task, {
          ...services,
          callAgent: slots.wrap(services.callAgent, rank),
        });
        const opened = runner.record;
        const outcome = await runner.run();
        if (outcome === 'refused') refused ??= runner.record.last_error?.message;
        if (outcome === 'unreachable')
          unreachable ??= runner.record.last_error?.message ?? 'the forge could not be reached';
        // A pull request still waiting for a person was only looked at: the run did not touch the
        // task, so a run with nothing else to do records, snapshots and commits nothing.
        if (runner.record !== opened || opened.state !== 'needs_human')
          touched.set(task.task_id, runner.record);
        states.set(task.task_id, runner.record.state);
      } finally {
        await leases.release(task.task_id);
      }
    })()
      // Expected failures are in the record; what arrives here is a bug or a broken repository.
      .catch((error: unknown) => {
        failures.push(error);
      })
      .finally(() => inFlight.delete(task.task_id));
    inFlight.set(task.task_id, work);
  };

  try {
    // Pull requests of tasks that ended without merging, still open because a forge error got in
    // the way when they ended: said and closed now, once.
    for (const task of tasks) {
      const record = records.get(task.task_id);
      if (!record || !selected(task) || !endNotice(record) || services.signal?.aborted) continue;
      if (!(await leases.acquire(task.task_id))) continue;
      try {
        const runner = await TaskRunner.open(task, services);
        await runner.closeOut();
        if (runner.record.pull_request?.closed) touched.set(task.task_id, runner.record);
      } finally {
        await leases.release(task.task_id);
      }
    }
    // One plan per turn of the loop: planning 10,000 tasks is not free.
    let plans = planRun(tasks, states);
    for (;;) {
      if (
        services.signal?.aborted ||
        failures.length > 0 ||
        refused !== undefined ||
        unreachable !== undefined
      )
        break;
      for (const plan of plans) {
        if (!selected(plan.task) || tried.has(plan.task.task_id) || inFlight.has(plan.task.task_id)) continue;
        if (plan.action === 'block' || plan.action === 'unblock') {
          const runner = await TaskRunner.open(plan.task, services);
          await runner.move(
            plan.action === 'block' ? 'block' : 'retry',
            plan.action === 'block' ? plan.reason : undefined,
          );
          touched.set(plan.task.task_id, runner.record);
          states.set(plan.task.task_id, runner.record.state);
        } else if (plan.action === 'run' && options.deferred?.has(plan.task.task_id)) {
          tried.add(plan.task.task_id);
          if (canStart()) started += 1;
        } else if (plan.action === 'run' && options.held?.has(plan.task.task_id)) {
          tried.add(plan.task.task_id);
          const runner = await TaskRunner.open(plan.task, services);
          await runner.hold(options.held.get(plan.task.task_id)!);
          touched.set(plan.task.task_id, runner.record);
        } else if (
          plan.action === 'run' &&
          inFlight.size < options.concurrency * OPEN_TASKS_PER_SLOT &&
          canStart()
        ) {
          start(plan.task);
        }
      }
      if (inFlight.size > 0) await Promise.race(inFlight.values());
      plans = planRun(tasks, states);
      const again = plans.some(
        (plan) =>
          selected(plan.task) &&
          !tried.has(plan.task.task_id) &&
          plan.action !== 'done' &&
          plan.action !== 'wait' &&
          (plan.action !== 'run' || canStart()),
      );
      if (inFlight.size === 0 && !again) break;
    }
    await Promise.all(inFlight.values());
  } finally {
    await leases.releaseAll();
  }
  if (failures.length > 0) throw failures[0];
  const waiting = tasks
    .filter(
      (task) =>
        selected(task) &&
        !['merged', 'failed', 'rejected', 'blocked'].includes(states.get(task.task_id) ?? 'pending'),
    )
    .map((task) => task.task_id);
  return {
    records: touched,
    skipped,
    waiting,
    finished,
    stopped: services.signal?.aborted === true || refused !== undefined || unreachable !== undefined,
    ...(refused !== undefined ? { refused } : {}),
    ...(unreachable !== undefined ? { unreachable } : {}),
  };
}
