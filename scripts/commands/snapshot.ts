// `aifactory snapshot`: writes the dashboard's data in shared/status/ from the task files and run records.
import type { Command } from 'commander';
import { STATUS_DIR, writeSnapshots } from '../engine/report/snapshot-writer.ts';

/** `aifactory snapshot`: writes shared/status/ for the dashboard. */
export function registerSnapshot(program: Command): void {
  program
    .command('snapshot')
    .description(`Write the dashboard's data (${STATUS_DIR}/) from the task files and run records.`)
    .option('--json', 'print what was written as JSON')
    .action(async (options: { json?: boolean }) => {
      const result = await writeSnapshots(process.cwd());
      if (options.json) {
        console.log(JSON.stringify(result, null, 2));
        return;
      }
      for (const problem of result.problems) console.log(`warning: ${problem}`);
      console.log(
        `${STATUS_DIR}/: ${result.written.length} written, ${result.unchanged.length} unchanged, ${result.removed.length} removed`,
      );
    });
}
