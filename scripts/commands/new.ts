// `aifactory new`: writes a task file from its flags, validated first and laid out as the formatter wants.
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import type { Task } from '../core/task/task.ts';
import { validateTasks } from '../core/task/validate.ts';
import { loadValidationContext, TASKS_DIR, taskIdsOnDisk } from '../engine/store/task-files.ts';
import { formatProblem } from './validate.ts';

interface NewOptions {
  assignee: string;
  description: string;
  title?: string;
  reviewer?: string;
  files: string[];
  priority?: number;
  dependsOn?: string[];
  labels?: string[];
  maxIterations?: number;
  force?: boolean;
}

function integer(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw new InvalidArgumentError('expected a whole number');
  return parsed;
}

/** `aifactory new <task_id> --assignee … --description … [--files …]`: writes a valid task file. */
export function registerNew(program: Command): void {
  program
    .command('new')
    .description('Write a new task file in tasks/ (validated before it is written).')
    .argument('<task_id>', 'the task id; the file becomes tasks/<task_id>.json')
    .requiredOption('-a, --assignee <agent>', 'the agent that writes the change (see `aifactory agents`)')
    .requiredOption('-d, --description <text>', 'what the agent should do')
    .option('-f, --files <paths...>', 'files the agent may write, relative to the repository root', [])
    .option('-t, --title <text>', 'a short title')
    .option('-r, --reviewer <agent>', 'the reviewing agent (default: one of another vendor)')
    .option('-p, --priority <n>', 'higher runs first (-100 to 100)', integer)
    .option('--depends-on <ids...>', 'tasks that must be merged first')
    .option('-l, --labels <labels...>', 'labels for filtering')
    .option('--max-iterations <n>', 'code → review rounds before the task fails (1 to 20)', integer)
    .option('--force', 'overwrite an existing task file')
    .action(async (taskId: string, options: NewOptions) => {
      const root = process.cwd();
      const schema = await schemaReference(root);
      const task: Task = {
        ...(schema ? { $schema: schema } : {}),
        task_id: taskId,
        title: options.title,
        description: options.description,
        assignee: options.assignee,
        reviewer: options.reviewer,
        files: options.files,
        priority: options.priority,
        depends_on: options.dependsOn,
        labels: options.labels,
        max_iterations: options.maxIterations,
      };
      const path = `${TASKS_DIR}/${taskId}.json`;
      const text = taskFileText(task);
      const { context } = await loadValidationContext(root);
      const report = validateTasks([{ path, text }], { ...context, otherTaskIds: await taskIdsOnDisk(root) });
      if (report.problems.length > 0) {
        for (const problem of report.problems) console.error(formatProblem(problem));
        console.error(`✗ ${path} not written`);
        process.exitCode = 1;
        return;
      }
      const target = join(root, path);
      const exists = await access(target).then(
        () => true,
        () => false,
      );
      if (exists && !options.force) {
        console.error(`✗ ${path} already exists; pass --force to overwrite it`);
        process.exitCode = 1;
        return;
      }
      await mkdir(join(root, TASKS_DIR), { recursive: true });
      await writeFile(target, text);
      console.log(`✓ wrote ${path}`);
    });
}

/**
 * Where a task file in `tasks/` finds the task JSON Schema, for editors: the repository's own copy
 * (the template's), else the installed package's; undefined when neither exists, so no file
 * points at a schema that is not there.
 */
export async function schemaReference(root: string): Promise<string | undefined> {
  const candidates = [
    { file: join(root, TASKS_DIR, 'task.schema.json'), ref: './task.schema.json' },
    {
      file: join(root, 'node_modules', 'aifactory-os', TASKS_DIR, 'task.schema.json'),
      ref: '../node_modules/aifactory-os/tasks/task.schema.json',
    },
  ];
  for (const { file, ref } of candidates) {
    if (
      await access(file).then(
        () => true,
        () => false,
      )
    )
      return ref;
  }
  return undefined;
}

/** The line width of the repository's formatter (biome.json), which task files pass. */
const LINE_WIDTH = 110;

/**
 * The task file as written: `$schema` first, then the seed's fields, optional ones after, laid
 * out as the repository's formatter lays out JSON (a list on one line when it fits), so a new task
 * file passes `npm test` as it is.
 */
export function taskFileText(task: Task): string {
  const entries = Object.entries(task).filter(([, value]) => value !== undefined);
  const lines = entries.map(([key, value], index) => {
    const comma = index < entries.length - 1 ? ',' : '';
    const head = `  ${JSON.stringify(key)}: `;
    if (!Array.isArray(value) || value.length === 0) return `${head}${JSON.stringify(value)}${comma}`;
    const inline = `${head}[${value.map((item) => JSON.stringify(item)).join(', ')}]${comma}`;
    if (inline.length <= LINE_WIDTH) return inline;
    const items = value.map((item, at) => `    ${JSON.stringify(item)}${at < value.length - 1 ? ',' : ''}`);
    return `${head}[\n${items.join('\n')}\n  ]${comma}`;
  });
  return `{\n${lines.join('\n')}\n}\n`;
}
