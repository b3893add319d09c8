// `aifactory validate`: checks task files and reports each problem as a line, JSON or a GitHub annotation.
import type { Command } from 'commander';
import { workflowCommand } from '../core/task/annotation.ts';
import type { Problem, ValidationReport } from '../core/task/validate.ts';
import { loadTasks, loadValidationContext } from '../engine/store/task-files.ts';
import { fromInvocation } from '../io/repo-root.ts';
import { plural } from '../ui/words.ts';

/** `aifactory validate [paths…] [--json]`: exit 0 when every task file is valid, 1 otherwise, 2 on bad usage. */
export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('Check task files: JSON, schema, ids, agents, dependencies and the write protocol.')
    .argument('[paths...]', 'task files or folders (default: tasks/)')
    .option('--json', 'print a machine-readable report')
    .addHelpText(
      'after',
      '\nExit codes: 0 all valid, 1 problems found, 2 bad usage.\nUnder GitHub Actions it also prints ::error annotations.',
    )
    .action(async (paths: string[], options: { json?: boolean }) => {
      const root = process.cwd();
      const { context } = await loadValidationContext(root);
      const report = await loadTasks(root, context, paths.length > 0 ? paths.map(fromInvocation) : undefined);
      printReport(report, {
        json: options.json === true,
        annotations: process.env.GITHUB_ACTIONS === 'true',
      });
      process.exitCode = report.problems.length > 0 ? 1 : 0;
    });
}

function printReport(report: ValidationReport, options: { json: boolean; annotations: boolean }): void {
  const { problems } = report;
  if (options.json) {
    const tasks = report.tasks.map(({ file, task }) => ({ file, task_id: task.task_id }));
    console.log(JSON.stringify({ ok: problems.length === 0, tasks, problems }, null, 2));
  } else {
    for (const problem of problems) console.log(formatProblem(problem));
    const invalidFiles = new Set(problems.map((problem) => problem.file)).size;
    console.log(
      problems.length === 0
        ? `✓ ${plural(report.tasks.length, 'task file')} valid`
        : `✗ ${plural(problems.length, 'problem')} in ${plural(invalidFiles, 'task file')}`,
    );
  }
  if (options.annotations) for (const problem of problems) console.log(annotation(problem));
}

/** `tasks/a.json:3:5: assignee: unknown agent "grk"; …` — file, position, field, message. */
export function formatProblem(problem: Problem): string {
  return `${problem.file}:${problem.line}:${problem.column}: ${problem.field}: ${problem.message}`;
}

/** A GitHub Actions `::error` workflow command pointing at the offending key. */
export function annotation(problem: Problem): string {
  return workflowCommand(
    'error',
    {
      file: problem.file,
      line: problem.line,
      col: problem.column,
      title: `${problem.field} (${problem.rule})`,
    },
    problem.message,
  );
}
