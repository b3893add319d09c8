// Run progress: a live line per task in a terminal, plain lines and groups under CI, secrets redacted.
import { randomBytes } from 'node:crypto';
import type { RunRecord } from '../../core/record/run-record.ts';
import { workflowCommand } from '../../core/task/annotation.ts';
import { type Redactor, redactRecord } from '../store/run-store.ts';
import type { ProgressSink } from '../types.ts';

/** Where progress goes: a live line per task in a terminal; plain lines (and groups) under CI. */
export function createProgress(options: {
  stream?: NodeJS.WriteStream;
  ci?: boolean;
  githubActions?: boolean;
}): ProgressSink & { finish(): void; warn(message: string): void } {
  const stream = options.stream ?? process.stdout;
  const live = stream.isTTY === true && options.ci !== true;
  return live ? new LiveProgress(stream) : new PlainProgress(stream, options.githubActions === true);
}

/**
 * `sink` with the run's secrets redacted from every line before it reaches it: step messages,
 * warnings, and the finished record (whose last error ends up in the task's last line). Redacting
 * the message, not the drawn line, matters: a live line is cut to the terminal's width, and a cut
 * secret no longer matches.
 */
export function redactedProgress(
  sink: ProgressSink,
  redactor: Redactor & { redact(text: string): string },
): ProgressSink {
  return {
    step: (taskId, message) => sink.step(taskId, redactor.redact(message)),
    done: (record) => sink.done(redactRecord(record, redactor)),
    warn: (message) => sink.warn?.(redactor.redact(message)),
  };
}

function outcome(record: RunRecord): string {
  const pr = record.pull_request ? ` (PR #${record.pull_request.number})` : '';
  const why = record.state === 'merged' ? '' : record.last_error ? `: ${record.last_error.message}` : '';
  return `${record.state}${pr}${why}`;
}

/** Plain lines, prefixed with the task id; under GitHub Actions each task's lines are repeated in a group. */
class PlainProgress implements ProgressSink {
  readonly #stream: NodeJS.WritableStream;
  readonly #groups: boolean;
  readonly #lines = new Map<string, string[]>();

  constructor(stream: NodeJS.WritableStream, groups: boolean) {
    this.#stream = stream;
    this.#groups = groups;
  }

  step(taskId: string, message: string): void {
    this.#lines.set(taskId, [...(this.#lines.get(taskId) ?? []), message]);
    if (!this.#groups) this.#stream.write(`${taskId}: ${message}\n`);
  }

  done(record: RunRecord): void {
    const line = `${record.task_id}: ${outcome(record)}`;
    if (!this.#groups) {
      this.#stream.write(`${line}\n`);
      return;
    }
    // Concurrent tasks would interleave inside groups, so each task's log is printed whole at its end.
    // The lines can hold model text, so workflow commands are off between an unguessable token
    // pair: a line like `::add-mask::` or `::error::` in them is printed, never obeyed.
    const token = randomBytes(16).toString('hex');
    this.#stream.write(`::group::${line.replace(/[\r\n]+/g, ' ')}\n::stop-commands::${token}\n`);
    for (const message of this.#lines.get(record.task_id) ?? []) this.#stream.write(`${message}\n`);
    this.#stream.write(`::${token}::\n::endgroup::\n`);
  }

  warn(message: string): void {
    process.stderr.write(
      this.#groups
        ? `${workflowCommand('warning', { title: 'aifactory' }, message)}\n`
        : `warning: ${message}\n`,
    );
  }

  finish(): void {}
}

/** One line per active task, redrawn in place; finished tasks scroll up as permanent lines. */
class LiveProgress implements ProgressSink {
  readonly #stream: NodeJS.WriteStream;
  readonly #active = new Map<string, string>();
  readonly #finished = new Set<string>();
  #drawn = 0;

  constructor(stream: NodeJS.WriteStream) {
    this.#stream = stream;
  }

  step(taskId: string, message: string): void {
    if (this.#finished.has(taskId)) return;
    const [first = '', ...rest] = message.split('\n');
    if (rest.length > 0) {
      // A message of several lines (what failed) stays on the screen: it scrolls up above the live lines.
      this.#clear();
      this.#stream.write(`  ${taskId}: ${message}\n`);
    }
    this.#active.set(taskId, first);
    this.#redraw();
  }

  done(record: RunRecord): void {
    this.#finished.add(record.task_id);
    this.#active.delete(record.task_id);
    this.#clear();
    const mark = record.state === 'merged' ? '✓' : '✗';
    this.#stream.write(`${mark} ${record.task_id}: ${outcome(record)}\n`);
    this.#redraw();
  }

  warn(message: string): void {
    this.#clear();
    process.stderr.write(`warning: ${message}\n`);
    this.#redraw();
  }

  finish(): void {
    this.#clear();
  }

  #clear(): void {
    if (this.#drawn > 0) this.#stream.write(`\x1b[${this.#drawn}F\x1b[J`);
    this.#drawn = 0;
  }

  #redraw(): void {
    this.#clear();
    const width = Math.max(20, (this.#stream.columns || 100) - 1);
    for (const [taskId, message] of this.#active) {
      this.#stream.write(`${`… ${taskId}: ${message}`.slice(0, width)}\n`);
    }
    this.#drawn = this.#active.size;
  }
}
