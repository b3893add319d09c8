import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { defineAgent, FactoryError, renderProposal, type Task, TaskSchema } from 'aifactory-os';

/** Folders searched for TODO comments; change them to your product's folders. */
const SCAN_DIRS = ['src', 'tests', 'docs'];
/** Who gets a TODO that names no agent (`TODO(agent): …` names one). */
const DEFAULT_ASSIGNEE = 'gpt';
/** At most this many task files per proposal; the rest wait for the next harvest. */
const MAX_TASKS = 20;
/** Files larger than this are not read (generated or vendored code). */
const MAX_FILE_BYTES = 256 * 1024;

/** `// TODO: text`, `# TODO(agent): text`, `/* TODO: text *\/`, `<!-- TODO: text -->`. */
const TODO =
  /(?:\/\/|#|\/\*|<!--|\*)\s*TODO(?:\(([a-z0-9][a-z0-9._-]{0,63})\))?:\s*(\S.*?)\s*(?:\*\/|-->)?\s*$/;

/** A TODO comment found in the repository. */
export interface Todo {
  path: string;
  line: number;
  text: string;
  assignee: string | undefined;
}

/** The TODO comments of one file, in line order. */
export function todosIn(path: string, content: string): Todo[] {
  return content.split('\n').flatMap((text, index) => {
    const match = TODO.exec(text);
    return match ? [{ path, line: index + 1, text: match[2]!, assignee: match[1] }] : [];
  });
}

/**
 * The task a TODO becomes. Its id comes from the path and the comment's text, not the line, so a
 * TODO that moves keeps its task and a harvest never proposes it twice.
 */
export function taskFor(todo: Todo): Task {
  const digest = createHash('sha256').update(`${todo.path}\n${todo.text}`).digest('hex').slice(0, 8);
  const stem = todo.path
    .replace(/\.[^./]+$/, '')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .slice(0, 60)
    .replace(/^-|-$/g, '');
  const title = `TODO in ${todo.path}:${todo.line}: ${todo.text}`;
  return TaskSchema.parse({
    task_id: `todo-${stem}-${digest}`,
    title: title.length > 200 ? `${title.slice(0, 199)}…` : title,
    description: `Resolve the TODO comment at ${todo.path} line ${todo.line} and remove the comment. It says: ${todo.text}`,
    assignee: todo.assignee ?? DEFAULT_ASSIGNEE,
    files: [todo.path],
    labels: ['todo'],
  });
}

/** The repository's tracked files under SCAN_DIRS. */
async function trackedFiles(root: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('git', ['ls-files', '-z', '--', ...SCAN_DIRS], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout.split('\0').filter(Boolean);
}

/** Every TODO comment in the tracked text files under SCAN_DIRS. */
export async function harvestTodos(root: string): Promise<Todo[]> {
  const todos: Todo[] = [];
  for (const path of await trackedFiles(root)) {
    const content = await readFile(join(root, path)).catch(() => undefined);
    if (!content || content.length > MAX_FILE_BYTES || content.includes(0)) continue;
    todos.push(...todosIn(path, content.toString('utf8')));
  }
  return todos;
}

/**
 * An example `tool` agent that turns TODO comments into task files, one per comment, skipping
 * those that already have one. Task files are the control plane: its pull request waits for a
 * person, who decides which of the proposed tasks the factory should take on. No model.
 */
export default defineAgent({
  name: 'todo-harvester',
  role: 'tool',
  description: 'Proposes a task file for each TODO comment (no model); a person merges them',
  permissions: { control_plane: ['tasks'] },
  run: async ({ task, root }) => {
    const existing = async (id: string) =>
      (await readFile(join(root, 'tasks', `${id}.json`)).catch(() => undefined)) !== undefined;
    const tasks: Task[] = [];
    for (const todo of await harvestTodos(root)) {
      const next = taskFor(todo);
      if (tasks.some((other) => other.task_id === next.task_id) || (await existing(next.task_id))) continue;
      tasks.push(next);
    }
    if (tasks.length === 0) {
      throw new FactoryError(
        'bad_output',
        `todo-harvester: task ${task.task_id} found no TODO comment without a task in ${SCAN_DIRS.join(', ')}`,
      );
    }
    const files = tasks.slice(0, MAX_TASKS).map((next) => ({
      path: `tasks/${next.task_id}.json`,
      content: `${JSON.stringify(next, null, 2)}\n`,
      lang: 'json',
    }));
    return { text: renderProposal(files) };
  },
});
