// The coder's and reviewer's prompts: templates from prompts/, with task, files and feedback as redacted data.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Agent, ModelAgent } from '../agents/types.ts';
import type { ProtocolConfig } from '../core/config.ts';
import { FactoryError } from '../core/errors.ts';
import { renderTemplate, truncateForPrompt } from '../core/prompt-template.ts';
import type { RunRecord } from '../core/record/run-record.ts';
import { fenceAsData, sanitizeTaskText, stripInvisible } from '../core/security/sanitize.ts';
import type { Task } from '../core/task/task.ts';

/** Prompt files live here, relative to the repository root; users may edit them. */
export const PROMPTS_DIR = 'prompts';
/** The prompts shipped with AI Factory OS, used when a repository has no copy of its own. */
const BUILTIN_PROMPTS = resolve(import.meta.dirname, '../..', PROMPTS_DIR);
/** Bounds on what one prompt carries of the repository's files. */
export const FILE_CHARS_LIMIT = 20_000;
export const TOTAL_FILE_CHARS_LIMIT = 120_000;

/** Replaces the run's secrets in a text (see SecretGuard); the default keeps the text as it is. */
export type Redact = (text: string) => string;
const asIs: Redact = (text) => text;

/**
 * Reads prompt templates once per run, and holds the redaction every prompt goes through: a
 * prompt carries task text, repository files, check output and review feedback, any of which may
 * hold one of the run's secrets, and none of it may reach a model.
 */
export class PromptLibrary {
  readonly #root: string;
  readonly #cache = new Map<string, Promise<string>>();
  readonly redact: Redact;

  constructor(root: string, options: { redact?: Redact } = {}) {
    this.#root = root;
    this.redact = options.redact ?? asIs;
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

/**
 * The task as the model sees it: cleaned of hidden text, redacted and framed as data. Redaction
 * follows the cleaning, so a secret split by invisible characters is whole again when it is sought.
 */
export function taskAsData(task: Task, redact: Redact = asIs): { text: string; flagged: string | undefined } {
  const description = sanitizeTaskText(task.description);
  const title = task.title ? redact(sanitizeTaskText(task.title).text) : undefined;
  const body = JSON.stringify(
    { task_id: task.task_id, title, description: redact(description.text), files: task.files.map(redact) },
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

/**
 * Current file contents, each redacted, framed as data and bounded, with a note when cut. Redaction
 * comes before the cut, which could otherwise leave the first part of a secret that no longer
 * matches.
 */
export function filesAsData(
  files: ReadonlyMap<string, string | undefined>,
  emptyNote: string,
  redact: Redact = asIs,
): string {
  if (files.size === 0) return emptyNote;
  let budget = TOTAL_FILE_CHARS_LIMIT;
  const sections: string[] = [];
  for (const [rawPath, content] of files) {
    const path = redact(rawPath);
    if (content === undefined) {
      sections.push(`### ${path}\n(does not exist yet)`);
      continue;
    }
    const limit = Math.max(0, Math.min(FILE_CHARS_LIMIT, budget));
    const shown = truncateForPrompt(redact(stripInvisible(content)), limit);
    budget -= Math.min(content.length, limit);
    sections.push(`### ${path}\n${fenceAsData(path, shown)}`);
  }
  return sections.join('\n\n');
}

/** A file longer than this (in lines or characters) is shown with the search/replace form to answer in. */
export const LARGE_FILE_LINES = 300;
export const LARGE_FILE_CHARS = 12_000;

/** The files the answer should edit with SEARCH/REPLACE sections: the existing ones too large to repeat whole. */
export function largeFiles(files: ReadonlyMap<string, string | undefined>): string[] {
  return [...files]
    .filter(
      ([, content]) =>
        content !== undefined && (content.length > LARGE_FILE_CHARS || lineCount(content) > LARGE_FILE_LINES),
    )
    .map(([path]) => path);
}

/** Lines of a text; a final newline ends the last line rather than opening one. */
function lineCount(text: string): number {
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** The instruction that asks for SEARCH/REPLACE sections for the large files, before the files themselves. */
function searchReplaceNote(large: readonly string[], redact: Redact): string {
  if (large.length === 0) return '';
  const named = large.map((path) => `\`${redact(path)}\``).join(', ');
  return [
    `These files are large: ${named}. Do not repeat them whole. Answer for each with one fenced \`lang:path\` block holding SEARCH/REPLACE sections:`,
    '',
    '````ts:src/large.ts',
    '<<<<<<< SEARCH',
    'export const limit = 10;',
    '=======',
    'export const limit = 20;',
    '>>>>>>> REPLACE',
    '````',
    '',
    'Each SEARCH text is whole lines copied exactly from the current file, enough of them to occur exactly once; sections apply in order. A file that would shrink by more than half, or that holds a comment such as `// ... rest unchanged`, is refused.',
    '',
    '',
  ].join('\n');
}

/** How a grant of the config reads in a prompt. */
const AREA_NAMES: Readonly<Record<string, string>> = {
  root: 'files at the repository root',
  manifests: 'package manifests such as `package.json`',
  plugins: 'the plugin modules and their folder',
  configured: 'the folders `protocol.control_plane_dirs` names',
};

/** The control-plane areas (besides `.github/`) the agent may propose changes to, as a rule line. */
function grantedLine(agent: Agent): string[] {
  const areas = agent.permissions.controlPlane.map((area) => AREA_NAMES[area] ?? `\`${area}/\``);
  if (areas.length === 0) return [];
  return [`- You may also propose changes to ${areas.join(', ')}; a person reviews and merges them.`];
}

/** The protocol, in words, for this task and agent. */
export function rulesText(task: Task, agent: Agent, protocol: ProtocolConfig): string {
  const lines = [
    task.files.length > 0
      ? `- Write only these files: ${task.files.map((path) => `\`${path}\``).join(', ')}.`
      : `- Write only inside these top-level folders: ${protocol.allowed_top_dirs.map((dir) => `\`${dir}/\``).join(', ')}.`,
    ...(task.files.length === 0 && task.scope && task.scope.length > 0
      ? [`- Write only paths these globs match: ${task.scope.map((glob) => `\`${glob}\``).join(', ')}.`]
      : []),
    '- Paths are clean and relative: no `..`, no leading `/`, no backslashes, never inside `.git/`, never `.gitmodules` or `.gitattributes`.',
    '- Every name works on Linux, Windows and macOS: no `< > : " | ? *`, no control or invisible characters, no device names (`CON`, `NUL`, `COM1`, …), no `NAME~1` short names, no trailing dot or space, at most 255 bytes, accents precomposed (NFC); no two paths that differ only in case.',
    '- Never write through or over a symbolic link or a submodule, over a folder, under a file, or to a path the repository ignores.',
    agent.permissions.github ? '- You may write under `.github/`.' : '- Never write under `.github/`.',
    ...grantedLine(agent),
    `- At most ${protocol.max_files} files, ${protocol.max_file_bytes} bytes each, ${protocol.max_total_bytes} bytes in all; text only, no binary content.`,
    '- Never write secrets, API keys, tokens or passwords, not even as examples.',
  ];
  return lines.join('\n');
}

/** Review comments and failing check output of the previous iteration, redacted and framed as data. */
export function feedbackFor(record: RunRecord, redact: Redact = asIs): string {
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
    if (attempt.kind === 'code' && attempt.result === 'error' && attempt.error?.class === 'bad_output') {
      parts.push(
        `Your previous answer was not used: ${attempt.error.message}. Answer with one fenced block per file to change, whose info string is lang:path (e.g. \`\`\`ts:src/x.ts): the whole new content of the file, or SEARCH/REPLACE sections for a large one.`,
      );
    }
    if (attempt.kind === 'merge' && attempt.result === 'conflict') {
      parts.push(
        `The approved change could not merge (${attempt.output ?? 'conflicts'}): the default branch moved. The branch starts over from the default branch; write every file again against its current content.`,
      );
    }
  }
  if (parts.length === 0) return 'None.';
  return fenceAsData('feedback', truncateForPrompt(redact(parts.join('\n\n')), FILE_CHARS_LIMIT));
}

/** How the repository map reads in a prompt: framed as data (its names are the repository's), or a note. */
export function repoMapSection(map: string): string {
  if (map === '') return 'Not included in this run.';
  return `The tracked files nearest the task first, each with its size and its exported symbols or headings; each folder line counts every file under it.\n\n${fenceAsData('repository-map', map)}`;
}

const REPO_MAP_PLACEHOLDER = /\{\{\s*repo_map\s*\}\}/;

/** A prompt with the agent's own instructions (its plugin's `instructions`) after everything else. */
export function withInstructions(system: string, agent: ModelAgent): string {
  if (!agent.instructions) return system;
  return `${system.trimEnd()}\n\n## Instructions for ${agent.name} from this repository\n\n${agent.instructions}\n`;
}

export async function coderPrompt(
  library: PromptLibrary,
  input: {
    agent: ModelAgent;
    task: Task;
    record: RunRecord;
    files: ReadonlyMap<string, string | undefined>;
    protocol: ProtocolConfig;
    /** The agent works through tools: the built-in `coder` prompt becomes `coder-tools`. */
    tools?: boolean;
    /** The rendered repository map (`taskRepoMap`); empty when there is none. */
    repoMap?: string;
  },
): Promise<{ system: string; flagged: string | undefined }> {
  const { agent, task, record } = input;
  const { redact } = library;
  const framed = taskAsData(task, redact);
  const name = input.tools && agent.prompt === 'coder' ? 'coder-tools' : agent.prompt;
  const template = await library.template(name);
  const map = input.repoMap ?? '';
  // A repository's own prompt written before the map: the map follows it, when there is one.
  const mapPlaced = REPO_MAP_PLACEHOLDER.test(template);
  const mapAfter = !mapPlaced && map !== '' ? `\n\n## Repository map\n\n${repoMapSection(map)}\n` : '';
  const system = renderTemplate(`${name}.md`, template, {
    ...(mapPlaced ? { repo_map: repoMapSection(map) } : {}),
    agent: agent.name,
    task_id: task.task_id,
    iteration: String(record.iteration),
    max_iterations: String(record.max_iterations),
    branch: record.branch ?? '',
    rules: rulesText(task, agent, input.protocol),
    task: framed.text,
    files:
      (input.tools ? '' : searchReplaceNote(largeFiles(input.files), redact)) +
      filesAsData(input.files, 'The task declares no files; choose paths within the rules.', redact),
    feedback: feedbackFor(record, redact),
  });
  // The whole prompt once more: the template, the rules and the map are the repository's files too.
  const placed = mapAfter ? system.trimEnd() + mapAfter : system;
  return { system: redact(withInstructions(placed, agent)), flagged: framed.flagged };
}

export async function reviewerPrompt(
  library: PromptLibrary,
  input: {
    agent: ModelAgent;
    task: Task;
    record: RunRecord;
    /** Every file the branch adds or changes, as it is on the branch. */
    files: ReadonlyMap<string, string | undefined>;
    /** Files the branch deletes. */
    deleted: readonly string[];
    /** The changed and deleted files as they are on the default branch, so the reviewer sees what changes. */
    before: ReadonlyMap<string, string | undefined>;
    checks: string;
  },
): Promise<string> {
  const { agent, task, record } = input;
  const { redact } = library;
  const system = renderTemplate('reviewer.md', await library.template('reviewer'), {
    agent: agent.name,
    task_id: task.task_id,
    iteration: String(record.iteration),
    max_iterations: String(record.max_iterations),
    assignee: record.assignee,
    task: taskAsData(task, redact).text,
    files: [
      filesAsData(input.files, input.deleted.length > 0 ? '' : 'The pull request changes no files.', redact),
      ...input.deleted.map((path) => `### ${redact(path)}\n(deleted by this pull request)`),
    ]
      .filter(Boolean)
      .join('\n\n'),
    before: filesAsData(input.before, 'None.', redact),
    checks: input.checks,
  });
  return redact(withInstructions(system, agent));
}
