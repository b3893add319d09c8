import type { Command } from 'commander';
import { RETRYABLE_STATES, reopen } from '../core/record-ops.ts';
import { RunStore } from '../engine/run-store.ts';

/**
 * `aifactory retry <task_id…>`: puts failed, rejected or blocked tasks back to pending, keeping
 * their history, so the next run works on them again. Exit 0 when every task was reopened, 1 when
 * any could not be, 2 on bad usage.
 */
export function registerRetry(program: Command): void {
  program
    .command('retry')
    .description('Put failed, rejected or blocked tasks back to pending; their history is kept.')
    .argument('<task_id...>', 'the tasks to reopen')
    .addHelpText(
      'after',
      `
The next \`run\` works on them again, from a new iteration on the same branch and pull request,
with the iteration budget of the task file counted afresh. A task waiting for a person
(needs_human) is not retried: merge or close its pull request.

Example:
  npm run aifactory -- retry demo-health`,
    )
    .action(async (ids: string[]) => {
      const store = new RunStore(process.cwd());
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
            `${id}: no run record in ${store.dir}; the task has not run, so it is pending already`,
          );
          refused += 1;
        } else if (!RETRYABLE_STATES.has(record.state)) {
          console.error(`${id}: is ${record.state}; only failed, rejected or blocked tasks can be retried`);
          refused += 1;
        } else {
          await store.write(reopen(record, new Date().toISOString()));
          console.log(`${id}: pending again (was ${record.state}; ${record.attempts.length} attempts kept)`);
        }
      }
      process.exitCode = refused > 0 ? 1 : 0;
    });
}
