// `aifactory retry`: a person puts ended tasks back to pending.
import type { Command } from 'commander';
import { RETRYABLE_STATES, reopen } from '../core/record/record-ops.ts';
import { RunStore } from '../engine/store/run-store.ts';
import { TASKS_DIR, taskIdsOnDisk } from '../engine/store/task-files.ts';
import { plural } from '../ui/words.ts';

/**
 * `aifactory retry <task_id…> [--keep-branch]`: puts failed, rejected or blocked tasks back to
 * pending, keeping their history, so the next run works on them again from a branch started over
 * from the default branch (or the old one, with `--keep-branch`). Exit 0 when every task was
 * reopened, 1 when any could not be, 2 on bad usage.
 */
export function registerRetry(program: Command): void {
  program
    .command('retry')
    .description('Put failed, rejected or blocked tasks back to pending; their history is kept.')
    .argument('<task_id...>', 'the tasks to reopen')
    .option('--keep-branch', "go on from the task's branch as it is, instead of starting it over")
    .addHelpText(
      'after',
      `
The next \`run\` works on them again: its branch starts over from the current default branch
(so a fix made there reaches the task, and its checks run again), in the same pull request, and
its iterations count afresh against max_iterations (the earlier ones stay in its history).
With --keep-branch the branch and its commits are kept as they are.
A task waiting for a person (needs_human) is not retried: \`approve\` or \`close\` it.

Example:
  npm run aifactory -- retry demo-health`,
    )
    .action(async (ids: string[], options: { keepBranch?: boolean }) => {
      const root = process.cwd();
      const store = new RunStore(root);
      const known = await taskIdsOnDisk(root);
      let refused = 0;
      for (const id of ids) {
        const record = await store.read(id).catch((error: Error) => {
          console.error(`${id}: ${error.message}`);
          return null;
        });
        if (record === null) {
          refused += 1;
        } else if (record === undefined) {
          console.error(
            known.has(id)
              ? `${id}: no run record in ${store.dir}; the task has not run, so it is pending already`
              : `${id}: no such task: there is no ${TASKS_DIR}/${id}.json and no run record; \`aifactory status\` lists the tasks`,
          );
          refused += 1;
        } else if (!RETRYABLE_STATES.has(record.state)) {
          console.error(`${id}: is ${record.state}; only failed, rejected or blocked tasks can be retried`);
          refused += 1;
        } else {
          await store.write(
            reopen(record, new Date().toISOString(), { keepBranch: options.keepBranch === true }),
          );
          const branch = options.keepBranch
            ? 'its branch is kept'
            : 'its branch starts over from the default branch';
          console.log(
            `${id}: pending again (was ${record.state}; ${plural(record.attempts.length, 'attempt')} kept; ${branch})`,
          );
        }
      }
      process.exitCode = refused > 0 ? 1 : 0;
    });
}
