// The task files in `tasks/`: read, validated against the config and registry, and the runnable ones loaded.
import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { type AgentRegistry, loadRegistry } from '../../agents/registry.ts';
import { grantedAreas } from '../../agents/types.ts';
import type { Config } from '../../core/config.ts';
import { FactoryError } from '../../core/errors.ts';
import type { Task } from '../../core/task/task.ts';
import {
  type TaskSource,
  type ValidationContext,
  type ValidationReport,
  validateTasks,
} from '../../core/task/validate.ts';
import { loadConfig } from '../../io/config-loader.ts';
import { mapFiles } from '../../io/many-files.ts';

/** The folder of task files, relative to the repository root. */
export const TASKS_DIR = 'tasks';
/** The generated JSON Schema lives beside the tasks but is not one. */
export const TASK_SCHEMA_FILE = 'task.schema.json';

function isTaskFileName(name: string): boolean {
  return name.endsWith('.json') && name !== TASK_SCHEMA_FILE;
}

/** Path as reported to users: relative to the root, with "/" separators. */
export function displayPath(root: string, path: string): string {
  return relative(root, path).split(sep).join('/');
}

/** The task files in a folder, sorted by name. */
async function taskFilesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && isTaskFileName(entry.name))
    .map((entry) => join(dir, entry.name))
    .sort();
}

/**
 * Reads the task files named by `paths` (files or folders; default the tasks folder).
 * A path that does not exist is a usage error (`config` class), not a validation problem.
 */
export async function readTaskSources(
  root: string,
  paths: readonly string[] = [TASKS_DIR],
): Promise<TaskSource[]> {
  const files: string[] = [];
  for (const path of paths) {
    const absolute = resolve(root, path);
    const info = await stat(absolute).catch(() => undefined);
    if (!info) throw new FactoryError('config', `${path}: no such file or folder`);
    if (info.isDirectory()) files.push(...(await taskFilesIn(absolute)));
    else files.push(absolute);
  }
  const unique = [...new Set(files)];
  return mapFiles(unique, (read, index) => {
    if ('error' in read) throw read.error;
    return { path: displayPath(root, unique[index]!), text: read.text };
  });
}

/** Ids of every task file in the tasks folder (by file name), so a partial validation knows the others. */
export async function taskIdsOnDisk(root: string): Promise<Set<string>> {
  const files = await taskFilesIn(join(root, TASKS_DIR)).catch(() => []);
  return new Set(files.map((file) => file.slice(file.lastIndexOf(sep) + 1, -'.json'.length)));
}

/** Reads and validates the task files under `paths` against the rest of the repository's tasks. */
export async function loadTasks(
  root: string,
  context: Omit<ValidationContext, 'otherTaskIds'>,
  paths?: readonly string[],
): Promise<ValidationReport> {
  const [sources, otherTaskIds] = await Promise.all([readTaskSources(root, paths), taskIdsOnDisk(root)]);
  return validateTasks(sources, { ...context, otherTaskIds });
}

/**
 * True for a path of the tasks folder that holds a task (not the generated schema, not a
 * subfolder). The folder is matched without regard to case, as a case-insensitive clone reads it.
 */
export function isTaskFilePath(path: string): boolean {
  const name = path.slice(TASKS_DIR.length + 1);
  return (
    path.slice(0, TASKS_DIR.length + 1).toLowerCase() === `${TASKS_DIR}/` &&
    !name.includes('/') &&
    isTaskFileName(name)
  );
}

/** What validation needs of the config and the registry. */
export function validationContextOf(
  config: Config,
  registry: AgentRegistry,
): Omit<ValidationContext, 'otherTaskIds'> {
  return {
    agents: {
      names: () => registry.list().map((agent) => agent.name),
      grantsOf: (name: string) => {
        const agent = registry.get(name);
        return agent ? grantedAreas(agent.permissions) : [];
      },
    },
    allowedDirs: config.protocol.allowed_top_dirs,
    plugins: config.plugins,
    controlPlaneDirs: config.protocol.control_plane_dirs,
  };
}

/** The config, the agent registry, and what validation needs of them. */
export async function loadValidationContext(root: string): Promise<{
  config: Config;
  registry: AgentRegistry;
  context: Omit<ValidationContext, 'otherTaskIds'>;
}> {
  const config = await loadConfig(root);
  const registry = await loadRegistry(root, config);
  return { config, registry, context: validationContextOf(config, registry) };
}

/** The tasks that are valid, plus a line for each file that is not (those are skipped, not fatal). */
export async function loadRunnableTasks(root: string): Promise<{
  config: Config;
  registry: AgentRegistry;
  tasks: Task[];
  invalid: string[];
}> {
  const { config, registry, context } = await loadValidationContext(root);
  const report = await loadTasks(root, context);
  const badFiles = new Set(report.problems.map((problem) => problem.file));
  const tasks = report.tasks.filter(({ file }) => !badFiles.has(file)).map(({ task }) => task);
  const invalid = report.problems.map((problem) => `${problem.file}: ${problem.field}: ${problem.message}`);
  return { config, registry, tasks, invalid };
}
