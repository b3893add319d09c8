// `aifactory show`: one task's whole story in the terminal.
import type { Command } from 'commander';
import { formatUsd } from '../core/money.ts';
import { iterationsUsed, totals } from '../core/record/record-ops.ts';
import type { Attempt, RunRecord } from '../core/record/run-record.ts';
import { type Session, sessionLines } from '../core/record/session-log.ts';
import { TaskIdSchema } from '../core/task/task.ts';
import { RunStore } from '../engine/store/run-store.ts';
import { TASKS_DIR, taskIdsOnDisk } from '../engine/store/task-files.ts';
import { plural, printable } from '../ui/words.ts';

function indent(text: string, prefix = '      '): string {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => `${prefix}${line}`)
    .join('\n');
}

/** One attempt: what happened, who did it, and what they said or what failed. */
function attemptLines(attempt: Attempt): string[] {
  const who = attempt.agent
    ? ` by ${attempt.agent}${attempt.model ? ` (${attempt.provider}/${attempt.model})` : ''}`
    : '';
  const commit = attempt.commit ? ` at ${attempt.commit.slice(0, 12)}` : '';
  const cost = attempt.cost_usd > 0 ? `, ${formatUsd(attempt.cost_usd)}` : '';
  const lines = [`  ${attempt.kind}: ${attempt.result}${who}${commit}${cost}  (${attempt.finished_at})`];
  if (attempt.files?.length) lines.push(`    files: ${attempt.files.join(', ')}`);
  if (attempt.summary) lines.push(`    summary: ${attempt.summary}`);
  for (const comment of attempt.comments ?? [])
    lines.push(`    - ${comment.path}${comment.line ? `:${comment.line}` : ''}: ${comment.body}`);
  if (attempt.rejection)
    lines.push(
      `    rejected (${attempt.rejection.rule}) ${attempt.rejection.path ?? ''}: ${attempt.rejection.message}`,
    );
  if (attempt.error) lines.push(`    error (${attempt.error.class}): ${attempt.error.message}`);
  if (attempt.output) lines.push('    output:', indent(attempt.output));
  if (attempt.session) lines.push('    session:', ...sessionLog(attempt.session));
  return lines;
}

/** A tool session as the log `sessionLines` reads it: turns, then their calls indented under them. */
function sessionLog(session: Session): string[] {
  return sessionLines(session).map((line) => `${line.kind === 'call' ? '        ' : '      '}${line.text}`);
}

/** A task's whole story: where it stands, then every iteration's attempts in order. */
export function renderStory(record: RunRecord): string {
  const spent = totals(record);
  const lines = [
    `${record.task_id}${record.title ? `: ${record.title}` : ''}`,
    `  state: ${record.state}`,
    `  coder: ${record.assignee}; reviewer: ${record.reviewer ?? 'default'}`,
    `  iterations: ${iterationsUsed(record)} of at most ${record.max_iterations}${record.retry_base ? ` since the last retry (${record.iteration} in all)` : ''}`,
    `  branch: ${record.branch ?? 'none yet'}; pull request: ${record.pull_request ? `#${record.pull_request.number}${record.pull_request.url ? ` ${record.pull_request.url}` : ''}` : 'none'}`,
    `  spent: ${formatUsd(spent.cost_usd)}, ${(spent.input + spent.output).toLocaleString('en')} tokens`,
  ];
  if (record.merge_commit)
    lines.push(`  merged as ${record.merge_commit.slice(0, 12)} at ${record.merged_at}`);
  if (record.rejection)
    lines.push(
      `  rejected (${record.rejection.rule}) ${record.rejection.path ?? ''}: ${record.rejection.message}`,
    );
  if (record.last_error)
    lines.push(
      `  ${record.state === 'needs_human' ? 'waiting' : 'last error'} (${record.last_error.class}): ${record.last_error.message}`,
    );
  const iterations = [...new Set(record.attempts.map((attempt) => attempt.iteration))];
  for (const iteration of iterations) {
    if (record.retry_base !== undefined && iteration === record.retry_base + 1)
      lines.push('', 'retried by a person');
    lines.push('', `iteration ${iteration}`);
    for (const attempt of record.attempts.filter((each) => each.iteration === iteration))
      lines.push(...attemptLines(attempt));
  }
  if (iterations.length === 0) lines.push('', 'Nothing has happened to this task yet.');
  return printable(lines.join('\n'));
}

/** `aifactory show <task_id> [--json]`: a task's whole story. Exit 1 for an unknown task. */
export function registerShow(program: Command): void {
  program
    .command('show')
    .description("Print a task's whole story: iterations, tool sessions, check output, verdicts and errors.")
    .argument('<task_id>', 'the task to show')
    .option('--json', 'print its run record as JSON')
    .addHelpText(
      'after',
      `
Reads the task's run record (shared/runs/<task_id>.json): every attempt of every iteration, with
the check output the factory kept, the reviewer's summary and comments, each error, and the
coder's and reviewer's tool sessions: each turn's tokens and each tool call with its arguments and result.

Example:
  npm run aifactory -- show demo-health`,
    )
    .action(async (id: string, options: { json?: boolean }) => {
      const root = process.cwd();
      const store = new RunStore(root);
      const record = TaskIdSchema.safeParse(id).success ? await store.read(id) : undefined;
      if (record === undefined) {
        const known = (await taskIdsOnDisk(root)).has(id);
        if (known) {
          console.log(`${id}: pending; no run has taken it on yet`);
          process.exitCode = 0;
          return;
        }
        console.error(
          `${printable(id)}: no such task: there is no ${TASKS_DIR}/${printable(id)}.json and no run record; \`aifactory status\` lists the tasks`,
        );
        process.exitCode = 1;
        return;
      }
      console.log(options.json ? JSON.stringify(record, null, 2) : renderStory(record));
      if (!options.json) console.log(`\n${plural(record.attempts.length, 'attempt')}.`);
      process.exitCode = 0;
    });
}
