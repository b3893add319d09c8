import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Agent } from '../agents/types.ts';
import type { ProtocolConfig } from '../core/config.ts';
import { FactoryError } from '../core/errors.ts';
import { renderTemplate, truncateForPrompt } from '../core/prompt-template.ts';
import type { RunRecord } from '../core/run-record.ts';
import { fenceAsData, sanitizeTaskText, stripInvisible } from '../core/sanitize.ts';
import type { Task } from '../core/task.ts';

/** Prompt files live here, relative to the repository root; users may edit them. */
export const PROMPTS_DIR = 'prompts';
/** The prompts shipped with AI Factory OS, used when a repository has no copy of its own. */
const BUILTIN_PROMPTS = resolve(import.meta.dirname, '../..', PROMPTS_DIR);
/** Bounds on what one prompt carries of the repository's files. */
export const FILE_CHARS_LIMIT = 20_000;
export const TOTAL_FILE_CHARS_LIMIT = 120_000;

/** Reads prompt templates once per run. */
export class PromptLibrary {
  readonly #root: string;
  readonly #cache = new Map<string, Promise<string>>();

  constructor(root: string) {
    this.#root = root;
  }

  template(name: string): Promise<string> {
    let template = this.#cache.get(name);
    if (!template) {
      const file = `${name}.md`;
      template = readFile(join(this.#root, PROMPTS_DIR, file), 'utf8')
        .catch(() => readFile(join(BUILTIN_PROMPTS, file), 'utf8'))
        .catch(() => {
          throw new FactoryError('config', `${PROMPTS_DIR}/${file}: prompt file not found`);
        });
      this.#cache.set(name, template);
    }
    return template;
  }
}

/** The task as the model sees it: cleaned of hidden text and framed as data. */
export function taskAsData(task: Task): { text: string; flagged: string | undefined } {
  const description = sanitizeTaskText(task.description);
  const title = task.title ? sanitizeTaskText(task.title).text : undefined;
  const body = JSON.stringify(
    { task_id: task.task_id, title, description: description.text, files: task.files },
    null,
    2,
  );
  const removed = [
    description.invisibleRemoved > 0
      ? `${description.invisibleRemoved} invisible or bidirectional characters`
      : '',
    description.htmlCommentsRemoved > 0 ? `${description.htmlCommentsRemoved} HTML comments` : '',
  ].filter(Boolean);
  return {
    text: fenceAsData('task', body),
    flagged: removed.length > 0 ? `removed from the task text: ${removed.join(' and ')}` : undefined,
  };
}

/** Current file contents, each framed as data and bounded, with a note when cut. */
export function filesAsData(files: ReadonlyMap<string, string | undefined>, emptyNote: string): string {
  if (files.size === 0) return emptyNote;
  let budget = TOTAL_FILE_CHARS_LIMIT;
  const sections: string[] = [];
  for (const [path, content] of files) {
    if (content === undefined) {
      sections.push(`### ${path}\n(does not exist yet)`);
      continue;
    }
    const limit = Math.max(0, Math.min(FILE_CHARS_LIMIT, budget));
    const shown = truncateForPrompt(stripInvisible(content), limit);
    budget -= Math.min(content.length, limit);
    sections.push(`### ${path}\n${fenceAsData(path, shown)}`);
  }
  return sections.join('\n\n');
}

/** The protocol, in words, for this task and agent. */
export function rulesText(task: Task, agent: Agent, protocol: ProtocolConfig): string {
  const lines = [
    task.files.length > 0
      ? `- Write only these files: ${task.files.map((path) => `\`${path}\``).join(', ')}.`
      : `- Write only inside these top-level folders: ${protocol.allowed_top_dirs.map((dir) => `\`${dir}/\``).join(', ')}.`,
    '- Paths are clean and relative: no `..`, no leading `/`, no backslashes, never inside `.git/`, never `.gitmodules`.',
    '- Every name works on Linux, Windows and macOS: no `< > : " | ? *`, no control or invisible characters, no device names (`CON`, `NUL`, `COM1`, …), no `NAME~1` short names, no trailing dot or space, at most 255 bytes, accents precomposed (NFC); no two paths that differ only in case.',
    '- Never write through or over a symbolic link or a submodule, over a folder, under a file, or to a path the repository ignores.',
    agent.permissions.github ? '- You may write under `.github/`.' : '- Never write under `.github/`.',
    `- At most ${protocol.max_files} files, ${protocol.max_file_bytes} bytes each, ${protocol.max_total_bytes} bytes in all; text only, no binary content.`,
    '- Never write secrets, API keys, tokens or passwords, not even as examples.',
  ];
  return lines.join('\n');
}

/** Review comments and failing check output of the previous iteration, framed as data. */
export function feedbackFor(record: RunRecord): string {
  const previous = record.iteration - 1;
  if (previous < 1) return 'None: this is the first iteration.';
  const parts: string[] = [];
  for (const attempt of record.attempts.filter((entry) => entry.iteration === previous)) {
    if (attempt.kind === 'review' && attempt.result === 'changes_requested') {
      const comments = (attempt.comments ?? [])
        .map((comment) => `- ${comment.path}${comment.line ? `:${comment.line}` : ''}: ${comment.body}`)
        .join('\n');
      parts.push(`The reviewer ${attempt.agent} requested changes:\n${attempt.summary ?? ''}\n${comments}`);
    }
    if (attempt.kind === 'checks' && attempt.result === 'failed') {
      parts.push(`The checks failed. The end of their output:\n${attempt.output ?? ''}`);
    }
  }
  if (parts.length === 0) return 'None.';
  return fenceAsData('feedback', truncateForPrompt(parts.join('\n\n'), FILE_CHARS_LIMIT));
}

export async function coderPrompt(
  library: PromptLibrary,
  input: {
    agent: Agent;
    task: Task;
    record: RunRecord;
    files: ReadonlyMap<string, string | undefined>;
    protocol: ProtocolConfig;
  },
): Promise<{ system: string; flagged: string | undefined }> {
  const { agent, task, record } = input;
  const framed = taskAsData(task);
  const system = renderTemplate(`${agent.prompt}.md`, await library.template(agent.prompt), {
    agent: agent.name,
    task_id: task.task_id,
    iteration: String(record.iteration),
    max_iterations: String(record.max_iterations),
    branch: record.branch ?? '',
    rules: rulesText(task, agent, input.protocol),
    task: framed.text,
    files: filesAsData(input.files, 'The task declares no files; choose paths within the rules.'),
    feedback: feedbackFor(record),
  });
  return { system, flagged: framed.flagged };
}

export async function reviewerPrompt(
  library: PromptLibrary,
  input: {
    agent: Agent;
    task: Task;
    record: RunRecord;
    files: ReadonlyMap<string, string | undefined>;
    /** The same files on the default branch, so the reviewer sees what changes. */
    before: ReadonlyMap<string, string | undefined>;
    checks: string;
  },
): Promise<string> {
  const { agent, task, record } = input;
  return renderTemplate('reviewer.md', await library.template('reviewer'), {
    agent: agent.name,
    task_id: task.task_id,
    iteration: String(record.iteration),
    max_iterations: String(record.max_iterations),
    assignee: record.assignee,
    task: taskAsData(task).text,
    files: filesAsData(input.files, 'The proposal wrote no files.'),
    before: filesAsData(input.before, 'None.'),
    checks: input.checks,
  });
}
