import { describe, expect, it } from 'vitest';
import { RunRecordSchema } from '../../../../scripts/core/record/run-record.ts';
import { VerdictSchema } from '../../../../scripts/core/record/verdict.ts';

const at = '2026-11-25T10:00:00.000Z';

function record(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 1,
    task_id: 'demo-slugify',
    title: 'Slugify',
    state: 'merged',
    assignee: 'gemini-pro',
    reviewer: 'gpt',
    labels: ['demo'],
    priority: 0,
    depends_on: [],
    iteration: 1,
    max_iterations: 3,
    branch: 'aifactory/demo-slugify',
    pull_request: { number: 1, url: null },
    created_at: at,
    updated_at: at,
    merged_at: at,
    merge_commit: 'abc123',
    last_error: null,
    rejection: null,
    attempts: [
      {
        n: 1,
        iteration: 1,
        kind: 'code',
        agent: 'gemini-pro',
        provider: 'gemini',
        model: 'gemini-2.5-pro',
        started_at: at,
        finished_at: at,
        tokens: { input: 10, output: 20 },
        cost_usd: 0.001,
        result: 'proposed',
        files: ['src/demo/slugify.ts'],
      },
    ],
    ...overrides,
  };
}

describe('run record schema', () => {
  it('accepts a complete record', () => {
    expect(RunRecordSchema.parse(record()).attempts).toHaveLength(1);
  });

  it('rejects an unknown state and a time without an offset', () => {
    expect(RunRecordSchema.safeParse(record({ state: 'done' })).success).toBe(false);
    expect(RunRecordSchema.safeParse(record({ created_at: '2026-11-25 10:00' })).success).toBe(false);
  });
});

describe('verdict schema', () => {
  it('accepts the verdict format of DESIGN.md', () => {
    const verdict = {
      verdict: 'request_changes',
      summary: 'x',
      comments: [{ path: 'a.ts', line: 3, body: 'y' }],
    };
    expect(VerdictSchema.parse(verdict)).toEqual(verdict);
  });

  it('rejects a verdict outside approve and request_changes', () => {
    expect(VerdictSchema.safeParse({ verdict: 'lgtm', summary: '', comments: [] }).success).toBe(false);
  });
});
