// Task validation: each file's JSON, schema and protocol, then ids, agents and dependencies across files. Pure.
import { z } from 'zod';
import { compileGlob } from '../glob.ts';
import { formatJsonPath, type JsonDocument, type Position, parseJsonDocument } from '../json-source.ts';
import { checkWrite } from '../protocol/protocol.ts';
import { closestMatch } from '../suggest.ts';
import { MAX_TASK_FILE_CHARS, TASK_LIMITS, type Task, TaskSchema } from './task.ts';

/** One task file's text, with the path it is reported under (relative to the repository root). */
export interface TaskSource {
  path: string;
  text: string;
}

/** The rules `validate` enforces; each problem names one. */
export type ValidationRule =
  | 'json_syntax'
  | 'json_too_deep'
  | 'task_file_too_large'
  | 'duplicate_key'
  | 'schema'
  | 'unknown_field'
  | 'task_id_mismatch'
  | 'duplicate_task_id'
  | 'unknown_agent'
  | 'reviewer_is_assignee'
  | 'unknown_dependency'
  | 'dependency_cycle'
  | 'duplicate_file'
  | 'bad_glob'
  | 'protocol';

/** A problem in a task file: which file, which field, where, and what to do. */
export interface Problem extends Position {
  file: string;
  field: string;
  rule: ValidationRule;
  message: string;
}

/** What validation needs to know about agents (the registry implements it). */
export interface AgentLookup {
  names(): readonly string[];
  /** The control-plane areas the agent may propose changes to. */
  grantsOf(name: string): readonly string[];
}

export interface ValidationContext {
  agents: AgentLookup;
  allowedDirs: readonly string[];
  /** Plugin modules of the config (control plane). */
  plugins: readonly string[];
  /** The config's `protocol.control_plane_dirs` (control plane). */
  controlPlaneDirs?: readonly string[];
  /** Ids of tasks that exist but are not being validated now (e.g. the rest of tasks/). */
  otherTaskIds?: ReadonlySet<string>;
}

export interface ValidatedTask {
  file: string;
  task: Task;
}

export interface ValidationReport {
  tasks: ValidatedTask[];
  problems: Problem[];
}

interface ParsedTask extends ValidatedTask {
  doc: JsonDocument;
}

/** Validates task files on their own and against each other. Pure: the caller reads the files. */
export function validateTasks(sources: readonly TaskSource[], context: ValidationContext): ValidationReport {
  const problems: Problem[] = [];
  const parsed: ParsedTask[] = [];
  for (const source of sources) {
    const task = parseTask(source, context, problems);
    if (task) parsed.push(task);
  }
  checkDuplicateIds(parsed, context, problems);
  checkDependencies(parsed, context, problems);
  problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  return { tasks: parsed.map(({ file, task }) => ({ file, task })), problems };
}

function parseTask(
  source: TaskSource,
  context: ValidationContext,
  problems: Problem[],
): ParsedTask | undefined {
  const file = source.path;
  if (source.text.length > MAX_TASK_FILE_CHARS) {
    const message = `the task file is ${source.text.length} characters; a task file holds at most ${MAX_TASK_FILE_CHARS} (the description at most ${TASK_LIMITS.description_chars}), so put long material in a file of the repository and name it`;
    problems.push({ file, field: '(file)', rule: 'task_file_too_large', message, line: 1, column: 1 });
    return undefined;
  }
  const doc = parseJsonDocument(source.text);
  if (!('value' in doc)) {
    const rule = doc.kind === 'too_deep' ? 'json_too_deep' : 'json_syntax';
    problems.push({ file, field: '(json)', rule, message: doc.message, ...doc.position });
    return undefined;
  }
  for (const duplicate of doc.duplicateKeys) {
    const field = formatJsonPath(duplicate.path);
    const message = `"${field}" appears more than once; keep one`;
    problems.push({ file, field, rule: 'duplicate_key', message, ...duplicate.position });
  }
  const at = (path: (string | number)[], rule: ValidationRule, message: string): void => {
    problems.push({ file, field: formatJsonPath(path), rule, message, ...doc.positionOf(path) });
  };
  const result = TaskSchema.safeParse(doc.value);
  if (!result.success) {
    for (const issue of result.error.issues) problems.push(...schemaProblems(file, doc, issue));
    // The paths are still judged when they parse: a typo elsewhere must not hide a bad path.
    const paths = PathsOnly.safeParse(doc.value);
    if (paths.success) checkFiles(paths.data, context, at);
    return undefined;
  }
  const task = result.data;
  const expectedId = baseName(file);
  if (task.task_id !== expectedId) {
    at(['task_id'], 'task_id_mismatch', `task_id "${task.task_id}" must equal the file name "${expectedId}"`);
  }
  checkAgents(task, context, at);
  checkFiles(task, context, at);
  return { file, task, doc };
}

function schemaProblems(file: string, doc: JsonDocument, issue: z.core.$ZodIssue): Problem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const path = [...issue.path, key] as (string | number)[];
      const known = Object.keys(TaskSchema.shape);
      const guess = closestMatch(key, known);
      const hint = guess ? `did you mean "${guess}"?` : `known fields: ${known.join(', ')}`;
      const message = `unknown field "${key}"; ${hint}`;
      return {
        file,
        field: formatJsonPath(path),
        rule: 'unknown_field',
        message,
        ...doc.positionOf(path, { key: true }),
      };
    });
  }
  const path = issue.path as (string | number)[];
  const missing = issue.code === 'invalid_type' && issue.input === undefined;
  const message = missing ? `"${formatJsonPath(path)}" is required` : issue.message;
  return [{ file, field: formatJsonPath(path), rule: 'schema', message, ...doc.positionOf(path) }];
}

type Report = (path: (string | number)[], rule: ValidationRule, message: string) => void;

function checkAgents(task: Task, context: ValidationContext, at: Report): void {
  const names = context.agents.names();
  for (const field of ['assignee', 'reviewer'] as const) {
    const name = task[field];
    if (name === undefined || names.includes(name)) continue;
    const guess = closestMatch(name, names);
    const hint = guess ? `did you mean "${guess}"?` : 'see `aifactory agents`';
    at([field], 'unknown_agent', `unknown agent "${name}"; ${hint} (known: ${names.join(', ')})`);
  }
  if (task.reviewer !== undefined && task.reviewer === task.assignee) {
    at(
      ['reviewer'],
      'reviewer_is_assignee',
      `reviewer "${task.reviewer}" is the assignee; choose another agent`,
    );
  }
}

/** The fields the path rules need, read from a task file that fails the schema elsewhere. */
const PathsOnly = z.object({
  files: TaskSchema.shape.files.catch([]),
  scope: TaskSchema.shape.scope.catch(undefined),
  assignee: z.string().catch(''),
});

type PathFields = Pick<Task, 'files' | 'scope' | 'assignee'>;

function checkFiles(task: PathFields, context: ValidationContext, at: Report): void {
  const seen = new Set<string>();
  const policy = {
    allowedDirs: context.allowedDirs,
    declaredFiles: [],
    grants: context.agents.grantsOf(task.assignee),
    plugins: context.plugins,
    controlPlaneDirs: context.controlPlaneDirs ?? [],
    agent: task.assignee,
  };
  task.files.forEach((path, index) => {
    if (seen.has(path)) at(['files', index], 'duplicate_file', `"${path}" is listed twice; keep one`);
    seen.add(path);
    const violation = checkWrite(path, policy);
    if (violation) at(['files', index], 'protocol', `${violation.message} [${violation.rule}]`);
  });
  (task.scope ?? []).forEach((glob, index) => {
    const compiled = compileGlob(glob);
    if (!compiled.ok) {
      at(['scope', index], 'bad_glob', `"${glob}" is not a glob the factory reads: ${compiled.error}`);
      return;
    }
    const sample = scopeSample(glob);
    const violation = sample === '' ? undefined : checkWrite(sample, policy);
    if (violation) at(['scope', index], 'protocol', `${violation.message} [${violation.rule}]`);
  });
}

const GLOB_CHARS = /[*?[\]{}]/;

/**
 * A path standing for what a scope glob reaches, judged as a write: the glob itself when it holds
 * no wildcard, else its literal folders with a file name under them (`src/**` → `src/file`). A
 * glob that opens with a wildcard names no folder: what it matches is bounded at each write.
 */
export function scopeSample(glob: string): string {
  if (!GLOB_CHARS.test(glob)) return glob;
  const segments = glob.split('/');
  const literal = segments.slice(
    0,
    segments.findIndex((segment) => GLOB_CHARS.test(segment)),
  );
  return literal.length === 0 ? '' : [...literal, 'file'].join('/');
}

/**
 * Reports a shared task_id on every file that holds it, naming the others. Ids that differ only
 * in case are shared too: they are one file and one branch on macOS and Windows.
 */
function checkDuplicateIds(
  parsed: readonly ParsedTask[],
  context: ValidationContext,
  problems: Problem[],
): void {
  const byKey = new Map<string, { id: string; where: string }[]>();
  const add = (id: string, where: string): void => {
    const key = id.toLowerCase();
    byKey.set(key, [...(byKey.get(key) ?? []), { id, where }]);
  };
  for (const { file, task } of parsed) add(task.task_id, file);
  const parsedIds = new Set(parsed.map(({ task }) => task.task_id));
  for (const id of context.otherTaskIds ?? []) if (!parsedIds.has(id)) add(id, `task "${id}"`);
  for (const { file, task, doc } of parsed) {
    const others = byKey.get(task.task_id.toLowerCase())!.filter((other) => other.where !== file);
    if (others.length === 0) continue;
    const same = others.filter((other) => other.id === task.task_id).map((other) => other.where);
    const cased = others.filter((other) => other.id !== task.task_id);
    const parts = [
      ...(same.length > 0 ? [`is also used by ${same.join(', ')}`] : []),
      ...(cased.length > 0
        ? [
            `differs only in case from ${cased.map((other) => `"${other.id}" (${other.where})`).join(', ')}, which macOS and Windows take for the same file and branch`,
          ]
        : []),
    ];
    problems.push({
      file,
      field: 'task_id',
      rule: 'duplicate_task_id',
      message: `task_id "${task.task_id}" ${parts.join(' and ')}; ids must be unique`,
      ...doc.positionOf(['task_id']),
    });
  }
}

function checkDependencies(
  parsed: readonly ParsedTask[],
  context: ValidationContext,
  problems: Problem[],
): void {
  const byId = new Map(parsed.map((entry) => [entry.task.task_id, entry]));
  for (const { file, task, doc } of parsed) {
    (task.depends_on ?? []).forEach((id, index) => {
      if (byId.has(id) || context.otherTaskIds?.has(id)) return;
      const path = ['depends_on', index];
      const message = `depends on "${id}", which is not a known task; add tasks/${id}.json or remove it`;
      problems.push({
        file,
        field: formatJsonPath(path),
        rule: 'unknown_dependency',
        message,
        ...doc.positionOf(path),
      });
    });
  }
  // Every member of a cycle gets the problem, at its own edge, so each file shows why it is invalid.
  for (const cycle of findCycles(parsed.map(({ task }) => task))) {
    const message = `dependency cycle: ${cycle.join(' → ')}; remove one of these dependencies`;
    for (let index = 0; index < cycle.length - 1; index += 1) {
      const entry = byId.get(cycle[index]!)!;
      const path = ['depends_on', entry.task.depends_on!.indexOf(cycle[index + 1]!)];
      problems.push({
        file: entry.file,
        field: formatJsonPath(path),
        rule: 'dependency_cycle',
        message,
        ...entry.doc.positionOf(path),
      });
    }
  }
}

/** Every dependency cycle once, each as ids from its smallest id round to itself again. */
export function findCycles(tasks: readonly Pick<Task, 'task_id' | 'depends_on'>[]): string[][] {
  const edges = new Map(tasks.map((task) => [task.task_id, task.depends_on ?? []]));
  const cycles = new Map<string, string[]>();
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): void => {
    state.set(id, 'visiting');
    stack.push(id);
    for (const next of edges.get(id)!) {
      if (state.get(next) === 'visiting') {
        const loop = stack.slice(stack.indexOf(next));
        const start = loop.indexOf([...loop].sort()[0]!);
        const rotated = [...loop.slice(start), ...loop.slice(0, start)];
        cycles.set(rotated.join('\0'), [...rotated, rotated[0]!]);
      } else if (!state.has(next) && edges.has(next)) {
        visit(next);
      }
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of [...edges.keys()].sort()) if (!state.has(id)) visit(id);
  return [...cycles.values()];
}

function baseName(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return name.endsWith('.json') ? name.slice(0, -'.json'.length) : name;
}
