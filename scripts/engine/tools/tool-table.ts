/** The agent tools as one table: each tool's argument schema, its declaration for function calling, and the dispatcher. */
import { z } from 'zod';
import { plural } from '../../ui/words.ts';
import type { SecretGuard } from '../guard/secret-guard.ts';
import {
  DEFAULT_READ_LIMITS,
  listFiles,
  type ReadLimits,
  readFile,
  refusal,
  search,
  type ToolResult,
} from './read-tools.ts';
import { type ChecksRunner, runChecks } from './run-checks.ts';
import type { WorkingCopy, WorkingCopyEdits } from './working-copy.ts';
import { deleteFile, editFile, type WriteRules, writeFile } from './write-tools.ts';

/** Bounds of one toolbox: the read bounds, and those of every call's arguments and answer. */
export interface ToolLimits extends ReadLimits {
  /** Bytes of one tool answer; longer ones are cut with a note. */
  resultBytes: number;
  /** Bytes of one call's arguments (as JSON); larger calls are refused before they are parsed. */
  argumentBytes: number;
  /** Bytes of the checks' output kept (the tail). */
  checksOutputBytes: number;
}

export const DEFAULT_TOOL_LIMITS: ToolLimits = {
  ...DEFAULT_READ_LIMITS,
  resultBytes: 32 * 1024,
  argumentBytes: 1024 * 1024,
  checksOutputBytes: 16 * 1024,
};

const path = z.string().min(1).max(4096);
const folder = z
  .string()
  .max(4096)
  .optional()
  .describe('A folder, relative to the repository root (default: the root).');
const glob = z
  .string()
  .min(1)
  .max(500)
  .optional()
  .describe('Only files matching this glob: "*.ts" matches names, "src/**/*.ts" whole paths.');
const line = z.int().min(1).max(100_000_000);

/**
 * The tools' arguments: the contract models are driven through (names and fields are fixed, see
 * DESIGN.md). Each schema is the one definition: calls are parsed with it, and function
 * declarations are derived from it.
 */
export const TOOL_SCHEMAS = {
  list_files: z
    .strictObject({ path: folder, glob })
    .describe('Lists the files of the repository under a folder: tracked and untracked-not-ignored files.'),
  read_file: z
    .strictObject({
      path: path.describe('The file, relative to the repository root.'),
      start_line: line.optional().describe('First line to read (1-based, default 1).'),
      end_line: line.optional().describe('Last line to read (default: as far as one answer holds).'),
    })
    .describe(
      'Reads a text file, with line numbers; a long file is read in parts, each saying how to read on.',
    ),
  search: z
    .strictObject({
      pattern: z
        .string()
        .min(1)
        .max(1000)
        .describe('The text to find, or a regular expression with regex: true.'),
      path: folder,
      glob,
      regex: z
        .boolean()
        .optional()
        .describe('Read pattern as an RE2 regular expression (default false: literal text).'),
    })
    .describe('Finds the lines that hold a text, as "path:line: text".'),
  edit_file: z
    .strictObject({
      path: path.describe('The file to change.'),
      old_text: z.string().describe('The exact text to replace; it must occur once unless replace_all.'),
      new_text: z.string().describe('The text to put in its place.'),
      replace_all: z.boolean().optional().describe('Replace every occurrence (default false).'),
    })
    .describe('Replaces one exact piece of a file.'),
  write_file: z
    .strictObject({
      path: path.describe('The file to create or replace.'),
      content: z.string().describe('The whole new content.'),
    })
    .describe('Creates a file or replaces it whole.'),
  delete_file: z.strictObject({ path: path.describe('The file to delete.') }).describe('Deletes a file.'),
  run_checks: z
    .strictObject({})
    .describe(
      "Runs the repository's checks on the working copy with the edits so far; answers the exit code and the end of the output.",
    ),
  finish: z
    .strictObject({
      summary: z.string().min(1).max(10_000).describe('What was changed and why, for the pull request.'),
    })
    .describe('Ends the turn: the edits become the proposal.'),
} as const;

/** A tool's name, as models call it. */
export type ToolName = keyof typeof TOOL_SCHEMAS;

export const TOOL_NAMES = Object.keys(TOOL_SCHEMAS) as ToolName[];

/** The tools that only read: the set a reviewer gets. */
export const READ_TOOL_NAMES: readonly ToolName[] = ['list_files', 'read_file', 'search'];

/** A function declaration for a provider's function calling: name, description, JSON Schema of the arguments. */
export interface ToolDeclaration {
  name: ToolName;
  description: string;
  parameters: Record<string, unknown>;
}

/** The declarations of `names` (default: every tool), derived from TOOL_SCHEMAS. */
export function toolDeclarations(names: readonly ToolName[] = TOOL_NAMES): ToolDeclaration[] {
  return names.map((name) => {
    const {
      $schema: _,
      description,
      ...parameters
    } = z.toJSONSchema(TOOL_SCHEMAS[name]) as Record<string, unknown>;
    return { name, description: description as string, parameters };
  });
}

/** What a toolbox works on: the working copy, the write rules, and the checks runner if the run has one. */
export interface ToolContext {
  copy: WorkingCopy;
  rules: WriteRules;
  /** The checks sandbox; without it `run_checks` answers that checks are not available. */
  runChecks?: ChecksRunner;
  limits?: Partial<ToolLimits>;
  /**
   * The tools this toolbox runs (default: every tool); a call of any other is refused, offered
   * or not: a reviewer's toolbox runs only `READ_TOOL_NAMES`, whatever its model calls.
   */
  offered?: readonly ToolName[];
}

/** The agent's call of `finish`: its summary and the edits it hands over. */
export interface Finished {
  summary: string;
  edits: WorkingCopyEdits;
}

/** One agent turn's tools: `callTool` never throws for what a model sends, and `finished` holds the end. */
export interface Toolbox {
  /**
   * Runs a tool. `rawArgs` is the arguments as a JSON text (OpenAI's `arguments`) or as parsed
   * JSON (Gemini's `args`). An unknown tool, arguments too large, not JSON or of the wrong shape,
   * and every refused read or write answer an error result naming the problem, so the model can
   * correct itself. Every answer is redacted with the run's secrets and bounded in bytes.
   */
  callTool(name: string, rawArgs: unknown): Promise<ToolResult>;
  /** Set once `finish` was called; later calls are refused. */
  readonly finished: Finished | undefined;
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** `text` cut to `maxBytes` bytes (at a character boundary), saying what was cut. */
export function boundResult(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  const note = `\n… [answer cut at ${maxBytes} of ${bytes.length} bytes]`;
  const kept = bytes
    .subarray(0, Math.max(0, maxBytes - utf8Bytes(note)))
    .toString('utf8')
    .replace(/\uFFFD+$/, '');
  return kept + note;
}

/** The arguments as an object, or the error result that says why they are not. */
function parseArguments(rawArgs: unknown, limits: ToolLimits): unknown {
  const text = typeof rawArgs === 'string' ? rawArgs : rawArgs === undefined ? '{}' : JSON.stringify(rawArgs);
  if (text.length > limits.argumentBytes || utf8Bytes(text) > limits.argumentBytes) {
    return refusal(
      'arguments_too_large',
      `the arguments are ${utf8Bytes(text)} bytes; at most ${limits.argumentBytes}. Write a large file in parts with edit_file`,
    );
  }
  if (typeof rawArgs !== 'string') return rawArgs ?? {};
  try {
    return JSON.parse(rawArgs === '' ? '{}' : rawArgs);
  } catch (error) {
    return refusal(
      'invalid_json',
      `the arguments are not JSON (${(error as Error).message}); send one JSON object`,
    );
  }
}

function isResult(value: unknown): value is ToolResult {
  return typeof value === 'object' && value !== null && 'ok' in value && 'text' in value;
}

/** The problems zod found, one per field, short enough to read. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map(
      (issue) => `${issue.path.length > 0 ? `"${issue.path.join('.')}"` : 'the arguments'}: ${issue.message}`,
    )
    .join('; ');
}

/** A toolbox over `context`: the dispatcher of one agent turn. */
export function createToolbox(context: ToolContext): Toolbox {
  const limits = { ...DEFAULT_TOOL_LIMITS, ...context.limits };
  const { copy, rules } = context;
  const offered: readonly ToolName[] = context.offered ?? TOOL_NAMES;
  const secrets: SecretGuard = rules.secrets;
  let finished: Finished | undefined;

  const run = async (name: ToolName, args: never): Promise<ToolResult> => {
    switch (name) {
      case 'list_files':
        return listFiles(copy, args, limits);
      case 'read_file':
        return readFile(copy, args, limits, limits.resultBytes);
      case 'search':
        return search(copy, args, limits);
      case 'edit_file':
        return editFile(copy, rules, args);
      case 'write_file':
        return writeFile(copy, rules, args);
      case 'delete_file':
        return deleteFile(copy, rules, args);
      case 'run_checks':
        return runChecks(context.runChecks, copy.edits(), secrets, limits.checksOutputBytes);
      case 'finish': {
        const { summary } = args as { summary: string };
        finished = { summary, edits: copy.edits() };
        const { changes, deletions } = finished.edits;
        return {
          ok: true,
          text: `finished: ${plural(changes.length, 'file')} written, ${deletions.length} deleted`,
        };
      }
    }
  };

  const dispatch = async (name: string, rawArgs: unknown): Promise<ToolResult> => {
    if (!Object.hasOwn(TOOL_SCHEMAS, name)) {
      return refusal(
        'unknown_tool',
        `there is no tool "${name.slice(0, 100)}"; the tools are ${TOOL_NAMES.join(', ')}`,
      );
    }
    if (!offered.includes(name as ToolName)) {
      return refusal(
        'not_offered',
        `${name} is not one of the tools here; the tools are ${offered.join(', ')}, and nothing else runs`,
      );
    }
    if (finished) return refusal('finished', 'finish was already called; this turn takes no more tool calls');
    const raw = parseArguments(rawArgs, limits);
    if (isResult(raw)) return raw;
    const parsed = TOOL_SCHEMAS[name as ToolName].safeParse(raw);
    if (!parsed.success) {
      return refusal('invalid_arguments', `${name}: ${describeIssues(parsed.error)}`);
    }
    return run(name as ToolName, parsed.data as never);
  };

  return {
    async callTool(name, rawArgs) {
      const result = await dispatch(typeof name === 'string' ? name : String(name), rawArgs);
      return { ...result, text: boundResult(secrets.redact(result.text), limits.resultBytes) };
    },
    get finished() {
      return finished;
    },
  };
}
