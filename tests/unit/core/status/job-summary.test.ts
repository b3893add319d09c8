import { describe, expect, it } from 'vitest';
import { jobSummaryMarkdown, markdownCell } from '../../../../scripts/core/status/job-summary.ts';

const base = {
  title: 'aifactory run',
  tasks: [],
  waiting: [],
  tokens: { input: 0, output: 0 },
  costUsd: 0,
  spentTodayUsd: 0,
  caps: {},
};

/** The rows of the Markdown table whose first cell is `label`. */
const row = (markdown: string, label: string): string | undefined =>
  markdown.split('\n').find((line) => line.startsWith(`| ${label} |`));

describe('markdownCell', () => {
  it('keeps plain text as it is', () => {
    expect(markdownCell('checks failed: 2 tests')).toBe('checks failed: 2 tests');
  });

  it('removes newlines, so a reason cannot end the row or start a new block', () => {
    expect(markdownCell('one\r\ntwo\nthree\u2028four')).toBe('one two three four');
  });

  it('escapes pipes, HTML and the Markdown that renders links, images and emphasis', () => {
    const cell = markdownCell(
      'a | b <img src=x onerror=alert(1)> [click](https://evil) ![i](x) **bold** `code` &amp;',
    );
    expect(cell).not.toMatch(/(^|[^\\])\|/);
    expect(cell).not.toContain('<');
    expect(cell).not.toMatch(/(^|[^\\])\[/);
    expect(cell).toContain('\\[click\\]\\(https://evil\\)');
    expect(cell).toContain('\\*\\*bold\\*\\*');
    expect(cell).toContain('&amp;amp;');
    expect(cell).toContain('&lt;img src=x onerror=alert\\(1\\)&gt;');
  });

  it('cuts a long reason', () => {
    const cell = markdownCell('x'.repeat(1000));
    expect(cell).toHaveLength(300);
    expect(cell.endsWith('…')).toBe(true);
  });
});

describe('jobSummaryMarkdown', () => {
  it('counts what the run did, lists failures and waits with their reasons, and spend against the caps', () => {
    const markdown = jobSummaryMarkdown({
      ...base,
      title: 'aifactory run --shard 1/2',
      tasks: [
        { id: 'a', state: 'merged' },
        { id: 'b', state: 'failed', reason: 'checks failed | see log\n## injected' },
        { id: 'c', state: 'rejected' },
        { id: 'd', state: 'changes_requested', reason: 'review asked for changes' },
      ],
      waiting: [{ id: 'd', state: 'changes_requested', reason: 'the daily cap ($5) would be passed' }],
      tokens: { input: 12_345, output: 678 },
      costUsd: 0.123456,
      spentTodayUsd: 1.5,
      caps: { daily_usd: 5, per_agent_daily_usd: 2, per_task_usd: 1 },
      quota: { remaining: 4_321, limit: 5_000 },
    });
    expect(markdown.startsWith('### aifactory run --shard 1/2\n')).toBe(true);
    expect(row(markdown, 'Tasks processed')).toBe('| Tasks processed | 4 |');
    expect(row(markdown, 'Merged')).toBe('| Merged | 1 |');
    expect(row(markdown, 'Failed, rejected or blocked')).toBe('| Failed, rejected or blocked | 2 |');
    expect(row(markdown, 'Waiting')).toBe('| Waiting | 1 |');
    expect(row(markdown, 'Tokens (input / output)')).toBe('| Tokens (input / output) | 12,345 / 678 |');
    expect(row(markdown, 'Cost of this run')).toBe('| Cost of this run | $0.1235 |');
    expect(row(markdown, 'Spent today (UTC)')).toBe('| Spent today (UTC) | $1.5000 of $5.0000 |');
    expect(row(markdown, 'Configured per-agent daily cap')).toBe(
      '| Configured per-agent daily cap | $2.0000 |',
    );
    expect(row(markdown, 'Configured per-task cap')).toBe('| Configured per-task cap | $1.0000 |');
    expect(row(markdown, 'GitHub API requests left')).toBe('| GitHub API requests left | 4,321 of 5,000 |');
    expect(row(markdown, 'b')).toBe('| b | failed | checks failed \\| see log \\#\\# injected |');
    expect(row(markdown, 'c')).toBe('| c | rejected | \\(no reason recorded\\) |');
    expect(row(markdown, 'd')).toBe('| d | changes\\_requested | the daily cap \\(\\$5\\) would be passed |');
    // Every line of the output is a heading, a table row, bold section title or blank: nothing injected.
    for (const line of markdown.split('\n')) expect(line).toMatch(/^(###? |\| |\*\*|$)/);
  });

  it('says when there is no daily cap, and leaves out the quota the forge does not know', () => {
    const markdown = jobSummaryMarkdown({ ...base, spentTodayUsd: 0.25, quota: { remaining: 900 } });
    expect(row(markdown, 'Spent today (UTC)')).toBe('| Spent today (UTC) | $0.2500 (no daily cap) |');
    expect(row(markdown, 'GitHub API requests left')).toBe('| GitHub API requests left | 900 |');
    expect(row(markdown, 'Configured per-task cap')).toBeUndefined();
    expect(markdown).not.toContain('**Waiting**');
    expect(row(jobSummaryMarkdown(base), 'GitHub API requests left')).toBeUndefined();
  });

  it("says until when GitHub's rate limit stopped the run's writes, and nothing when it did not", () => {
    const markdown = jobSummaryMarkdown({ ...base, writesStoppedUntil: '2026-05-04T10:00:00.000Z' });
    expect(row(markdown, 'GitHub writes stopped until')).toContain('2026-05-04T10:00:00.000Z');
    expect(row(jobSummaryMarkdown(base), 'GitHub writes stopped until')).toBeUndefined();
  });

  it('shows the forecast made before the run, each line escaped, and nothing without one', () => {
    const markdown = jobSummaryMarkdown({
      ...base,
      forecast: ['Forecast for 1 task:', '  left for tomorrow: <b>x</b> | y'],
    });
    expect(markdown).toContain('**Forecast before the run**\n\n- Forecast for 1 task:\n');
    expect(markdown).toContain('- left for tomorrow: &lt;b&gt;x&lt;/b&gt; \\| y');
    expect(jobSummaryMarkdown(base)).not.toContain('Forecast');
    expect(jobSummaryMarkdown({ ...base, forecast: [] })).not.toContain('Forecast');
  });
});

describe('a run that stopped early', () => {
  it('says why above the table, whole and escaped', () => {
    const why = `Stopped early: GitHub is out of reach (${'x'.repeat(400)}) [link](http://evil)`;
    const markdown = jobSummaryMarkdown({ ...base, stoppedEarly: why });
    const notice = markdown.split('\n').find((line) => line.startsWith('> **'));
    expect(notice).toContain('x'.repeat(400));
    expect(notice).toContain('\\[link\\]\\(http://evil\\)');
    expect(markdown.indexOf('> **')).toBeLessThan(markdown.indexOf('| Run |'));
    expect(jobSummaryMarkdown(base)).not.toContain('> **');
  });
});
