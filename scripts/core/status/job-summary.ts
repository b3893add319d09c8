// The Markdown of a run's GitHub Actions job summary, every cell escaped: tasks, waits, tokens, spend. Pure.
/**
 * The Markdown a run appends to GitHub Actions' job summary (`$GITHUB_STEP_SUMMARY`): what the run
 * did, what failed and waits and why, its tokens, and spend against the caps. Pure.
 *
 * Reasons carry text a model or a pull request chose, so every cell is escaped: no HTML, no
 * Markdown that renders (links, images, emphasis, headings, math), no pipe that ends a cell, no newline
 * that ends a row.
 */
import type { Caps } from '../config.ts';

/** One task in the summary, with why it ended where it did (failed, rejected, waiting). */
export interface SummaryTask {
  id: string;
  state: string;
  reason?: string | undefined;
}

export interface JobSummaryInput {
  /** What ran, e.g. `aifactory run` or `aifactory run --shard 2/4`. */
  title: string;
  /** Tasks the run touched, with their state at its end. */
  tasks: readonly SummaryTask[];
  /** Tasks still open after the run, with what they wait for. */
  waiting: readonly SummaryTask[];
  tokens: { input: number; output: number };
  costUsd: number;
  /** The day's spend (UTC) after the run, this run included. */
  spentTodayUsd: number;
  caps: Caps;
  /** API requests left in the forge's rate-limit window, when the forge knows it. */
  quota?: { remaining: number; limit?: number | undefined } | undefined;
  /** When GitHub's rate limit stopped the run's writes: the time writing may start again (ISO 8601). */
  writesStoppedUntil?: string | undefined;
  /** Why the run stopped starting tasks early (GitHub unreachable, or refusing the token). */
  stoppedEarly?: string | undefined;
  /** The cost forecast printed before the run started (`core/record/cost-forecast.ts`), one line each. */
  forecast?: readonly string[] | undefined;
}

/** The longest reason kept in a cell; the rest is cut with an ellipsis. */
const MAX_CELL = 300;

/** The longest notice above the table (why the run stopped early). */
const MAX_NOTICE = 1000;

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

/**
 * `text` as the content of one table cell that renders as the literal text: newlines become
 * spaces, HTML is entity-escaped, and Markdown's punctuation (pipes included) is backslash-escaped.
 */
export function markdownCell(text: string, max = MAX_CELL): string {
  const flat = text.replace(/[\r\n\u2028\u2029]+/g, ' ').trim();
  const short = flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
  return short.replace(/[&<>"]/g, (char) => ENTITIES[char]!).replace(/[\\`*_{}[\]()#+!|~$]/g, '\\$&');
}

const money = (usd: number): string => `$${usd.toFixed(4)}`;
const count = (n: number): string => n.toLocaleString('en-US');

function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ];
}

function reasons(title: string, tasks: readonly SummaryTask[]): string[] {
  if (tasks.length === 0) return [];
  return [
    '',
    `**${title}**`,
    '',
    ...table(
      ['Task', 'State', 'Reason'],
      tasks.map((task) => [
        markdownCell(task.id),
        markdownCell(task.state),
        markdownCell(task.reason ?? '(no reason recorded)'),
      ]),
    ),
  ];
}

/** The job summary's Markdown for one run, ending with a newline. */
export function jobSummaryMarkdown(input: JobSummaryInput): string {
  const byState = (states: readonly string[]) => input.tasks.filter((task) => states.includes(task.state));
  const failed = byState(['failed', 'rejected', 'blocked']);
  const caps: [string, number | undefined][] = [
    ['daily cap', input.caps.daily_usd],
    ['per-agent daily cap', input.caps.per_agent_daily_usd],
    ['per-task cap', input.caps.per_task_usd],
  ];
  const rows: string[][] = [
    ['Tasks processed', count(input.tasks.length)],
    ['Merged', count(byState(['merged']).length)],
    ['Failed, rejected or blocked', count(failed.length)],
    ['Waiting', count(input.waiting.length)],
    ['Tokens (input / output)', `${count(input.tokens.input)} / ${count(input.tokens.output)}`],
    ['Cost of this run', money(input.costUsd)],
    [
      'Spent today (UTC)',
      input.caps.daily_usd === undefined
        ? `${money(input.spentTodayUsd)} (no daily cap)`
        : `${money(input.spentTodayUsd)} of ${money(input.caps.daily_usd)}`,
    ],
    ...caps.flatMap(([name, limit]) => (limit === undefined ? [] : [[`Configured ${name}`, money(limit)]])),
    ...(input.quota
      ? [
          [
            'GitHub API requests left',
            input.quota.limit === undefined
              ? count(input.quota.remaining)
              : `${count(input.quota.remaining)} of ${count(input.quota.limit)}`,
          ],
        ]
      : []),
    ...(input.writesStoppedUntil
      ? [
          [
            'GitHub writes stopped until',
            `${markdownCell(input.writesStoppedUntil)} (GitHub's rate limit; writing may start again then, and the waiting tasks go on in the next run after it)`,
          ],
        ]
      : []),
  ];
  return [
    `### ${markdownCell(input.title)}`,
    '',
    ...(input.stoppedEarly ? [`> **${markdownCell(input.stoppedEarly, MAX_NOTICE)}**`, ''] : []),
    ...table(['Run', 'Value'], rows),
    ...reasons('Failed, rejected or blocked', failed),
    ...reasons('Waiting', input.waiting),
    ...(input.forecast && input.forecast.length > 0
      ? ['', '**Forecast before the run**', '', ...input.forecast.map((line) => `- ${markdownCell(line)}`)]
      : []),
    '',
  ].join('\n');
}
