import { describe, expect, it } from 'vitest';
import { endNotice, newRunRecord } from '../../../scripts/core/record/record-ops.ts';
import type { RunRecord } from '../../../scripts/core/record/run-record.ts';

const base = newRunRecord(
  { task_id: 't1', description: 'Write it', assignee: 'gpt', files: ['src/a.ts'] } as never,
  'gemini-pro',
  '2026-12-02T10:00:00.000Z',
);
const ended = (changes: Partial<RunRecord>): RunRecord => ({
  ...base,
  state: 'failed',
  iteration: 2,
  pull_request: { number: 4, url: null },
  ...changes,
});

describe('endNotice', () => {
  it('says nothing for a task that merged, has no pull request, or was already told', () => {
    expect(endNotice(ended({ state: 'merged' }))).toBeUndefined();
    expect(endNotice(ended({ pull_request: null }))).toBeUndefined();
    expect(endNotice(ended({ pull_request: { number: 4, url: null, closed: true } }))).toBeUndefined();
  });

  it('quotes the last error of a failed task, keyed by state and iteration', () => {
    const notice = endNotice(ended({ last_error: { class: 'checks', message: 'still pending' } }))!;
    expect(notice.key).toBe('failed-2');
    expect(notice.body).toContain('task `t1` in iteration 2: it is **failed**');
    expect(notice.body).toContain('```text\nchecks: still pending\n```');
    expect(notice.body).toContain('npm run aifactory -- retry t1');
  });

  it('quotes the rule and path of a rejection, with or without a path, and says when no reason was kept', () => {
    const withPath = endNotice(
      ended({ state: 'rejected', rejection: { rule: 'symlink', path: 'src/x', message: 'a link' } }),
    )!;
    expect(withPath.key).toBe('rejected-2');
    expect(withPath.body).toContain('symlink (src/x): a link');
    const noPath = endNotice(
      ended({ state: 'rejected', rejection: { rule: 'bad', path: null, message: 'no' } }),
    )!;
    expect(noPath.body).toContain('\nbad: no\n');
    expect(endNotice(ended({ last_error: null }))!.body).toContain('no reason was recorded');
  });

  it('fences a reason that holds backticks so it cannot close the block or format the comment', () => {
    const message = 'see ````\n@someone [x](https://evil.example) ```';
    const body = endNotice(ended({ last_error: { class: 'bad_output', message } }))!.body;
    expect(body).toContain(`\`\`\`\`\`text\nbad_output: ${message}\n\`\`\`\`\`\n`);
  });
});
