import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../scripts/core/record/run-record.ts';
import { stableStringify } from '../../../scripts/core/stable-json.ts';
import {
  buildHistory,
  buildSnapshots,
  checkRunsFrom,
  DERIVED_TITLE_CHARS,
  HISTORY_WINDOW_DAYS,
  titleFrom,
} from '../../../scripts/core/status/snapshot.ts';
import {
  AgentsSchema,
  CiSchema,
  HistorySchema,
  SummarySchema,
  TaskDetailSchema,
  TasksSchema,
} from '../../../scripts/core/status/snapshot-schema.ts';
import type { Task } from '../../../scripts/core/task/task.ts';

const task = (id: string, extra: Partial<Task> = {}): Task => ({
  task_id: id,
  description: `do ${id}`,
  assignee: 'gpt',
  files: [],
  ...extra,
});

function record(
  id: string,
  state: RunRecord['state'],
  day: string,
  extra: Partial<RunRecord> = {},
): RunRecord {
  const at = `${day}T10:00:00.000Z`;
  const attempt = (
    n: number,
    kind: 'code' | 'review' | 'checks',
    result: RunRecord['attempts'][number]['result'],
  ) => ({
    n,
    iteration: 1,
    kind,
    agent: kind === 'checks' ? null : kind === 'code' ? 'gpt' : 'gemini-pro',
    provider: kind === 'checks' ? null : kind === 'code' ? 'openai' : 'gemini',
    model: kind === 'checks' ? null : kind === 'code' ? 'gpt-5-mini' : 'gemini-2.5-pro',
    started_at: at,
    finished_at: at,
    tokens: { input: 100, output: 10 },
    cost_usd: 0.5,
    result,
    commit: 'abc',
  });
  return {
    version: 1,
    task_id: id,
    title: null,
    state,
    assignee: 'gpt',
    reviewer: 'gemini-pro',
    labels: [],
    priority: 0,
    depends_on: [],
    iteration: 1,
    max_iterations: 3,
    branch: `aifactory/${id}`,
    pull_request: state === 'rejected' ? null : { number: 1, url: null },
    created_at: `${day}T09:00:00.000Z`,
    updated_at: at,
    merged_at: state === 'merged' ? at : null,
    merge_commit: state === 'merged' ? 'def' : null,
    last_error: null,
    rejection: null,
    attempts:
      state === 'rejected'
        ? [attempt(1, 'code', 'rejected')]
        : [
            attempt(1, 'code', 'proposed'),
            attempt(2, 'checks', state === 'merged' ? 'passed' : 'failed'),
            attempt(3, 'review', 'approved'),
          ],
    ...extra,
  };
}

const input = () => ({
  tasks: [task('b', { labels: ['z', 'a'], title: 'B' }), task('a'), task('c')],
  records: [
    record('a', 'merged', '2026-11-20'),
    record('b', 'failed', '2026-11-21'),
    record('d', 'rejected', '2026-11-22', { title: 'D' }),
  ],
  ci: [],
  commitsPerDay: { '2026-11-20': 3 },
  scheduleIntervalSeconds: 300,
});

describe('buildSnapshots', () => {
  it('gives the same bytes for the same inputs, whatever their order', () => {
    const bytes = (files: Map<string, unknown>) =>
      [...files].map(([path, value]) => path + stableStringify(value)).join('');
    const shuffled = {
      ...input(),
      tasks: [...input().tasks].reverse(),
      records: [...input().records].reverse(),
    };
    expect(bytes(buildSnapshots(shuffled))).toBe(bytes(buildSnapshots(input())));
  });

  it('writes every file in the shape of its schema, with a detail file per task', () => {
    const files = buildSnapshots(input());
    expect([...files.keys()]).toEqual([
      'summary.json',
      'tasks.json',
      'agents.json',
      'ci.json',
      'history.json',
      'agent-status.json',
      'models.json',
      'tasks/a.json',
      'tasks/b.json',
      'tasks/c.json',
      'tasks/d.json',
    ]);
    const summary = SummarySchema.parse(files.get('summary.json'));
    expect(summary).toMatchObject({
      tasks_total: 4,
      generated_at: '2026-11-22T10:00:00.000Z',
      cost_usd: 3.5,
    });
    expect(summary.by_state).toMatchObject({ merged: 1, failed: 1, rejected: 1, pending: 1 });
    expect(summary.success_rate).toBeCloseTo(1 / 3);
    const rows = TasksSchema.parse(files.get('tasks.json')).tasks;
    expect(rows.map((row) => row.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(rows[1]).toMatchObject({ title: 'B', labels: ['a', 'z'], tokens: 330 });
    expect(rows[2]).toMatchObject({ state: 'pending', updated_at: null, pr: null });
    expect(TaskDetailSchema.parse(files.get('tasks/a.json')).attempts).toHaveLength(3);
    expect(TaskDetailSchema.parse(files.get('tasks/d.json')).task).toMatchObject({
      description: '',
      files: [],
    });
    CiSchema.parse(files.get('ci.json'));
    HistorySchema.parse(files.get('history.json'));
  });

  it('compares agents and models: outcomes, proposals, reviews, cost per merge and time to merge', () => {
    const agents = AgentsSchema.parse(buildSnapshots(input()).get('agents.json'));
    const gpt = agents.agents.find((stats) => stats.name === 'gpt');
    expect(gpt).toMatchObject({
      tasks: 3,
      merged: 1,
      failed: 1,
      rejected: 1,
      proposals: 3,
      rejected_proposals: 1,
      cost_usd: 1.5,
      coder_cost_usd: 1.5,
      reviewer_cost_usd: 0,
    });
    expect(gpt?.cost_per_merged_usd).toBe(1.5);
    expect(gpt?.median_minutes_to_merge).toBe(60);
    expect(gpt?.median_minutes_to_green).toBe(0);
    const reviewer = agents.agents.find((stats) => stats.name === 'gemini-pro');
    expect(reviewer).toMatchObject({
      tasks: 0,
      reviews: 2,
      approvals: 2,
      success_rate: null,
      cost_per_merged_usd: null,
      coder_cost_usd: 0,
      reviewer_cost_usd: 1,
    });
    expect(agents.models.map((stats) => stats.name)).toEqual(['gemini:gemini-2.5-pro', 'openai:gpt-5-mini']);
    expect(agents.models[1]).toMatchObject({
      tasks: 3,
      merged: 1,
      failed: 1,
      rejected: 1,
      median_minutes_to_merge: 60,
      median_minutes_to_green: 0,
    });
  });

  it('charges a merged task whole, its review included, to the agent that coded it', () => {
    const merged = record('a', 'merged', '2026-11-20');
    const pricey = {
      ...merged,
      attempts: merged.attempts.map((attempt) =>
        attempt.kind === 'review' ? { ...attempt, cost_usd: 2 } : { ...attempt, cost_usd: 1 },
      ),
    };
    const agents = AgentsSchema.parse(buildSnapshots({ ...input(), records: [pricey] }).get('agents.json'));
    // code $1 + checks $1 + review $2
    expect(agents.agents.find((stats) => stats.name === 'gpt')).toMatchObject({
      cost_per_merged_usd: 4,
      coder_cost_usd: 1,
    });
    expect(agents.agents.find((stats) => stats.name === 'gemini-pro')).toMatchObject({
      cost_usd: 2,
      reviewer_cost_usd: 2,
      cost_per_merged_usd: null,
    });
  });

  it('passes the run file through and says how the last run started and whether it was a replay', () => {
    const run = {
      version: 1 as const,
      trigger: 'schedule' as const,
      replay: true,
      started_at: '2026-11-22T10:00:00.000Z',
      finished_at: '2026-11-22T10:01:00.000Z',
      last_scheduled_at: '2026-11-22T10:00:00.000Z',
      agents: [],
    };
    const replayed = record('a', 'merged', '2026-11-20');
    replayed.attempts[0]!.provider = 'replay';
    const files = buildSnapshots({
      ...input(),
      records: [replayed],
      agentStatus: { agents: [], caps: {}, run, spend: null },
    });
    expect(files.get('run.json')).toEqual(run);
    expect(SummarySchema.parse(files.get('summary.json'))).toMatchObject({
      last_run: { trigger: 'schedule', started_at: run.started_at, finished_at: run.finished_at },
      last_scheduled_at: run.last_scheduled_at,
      replayed: true,
    });
    const plain = SummarySchema.parse(buildSnapshots(input()).get('summary.json'));
    expect(plain).toMatchObject({ last_run: null, last_scheduled_at: null, replayed: false });
    expect(buildSnapshots(input()).has('run.json')).toBe(false);
  });

  it('has no date and no rate when nothing ran yet', () => {
    const summary = SummarySchema.parse(buildSnapshots({ ...input(), records: [] }).get('summary.json'));
    expect(summary).toMatchObject({ generated_at: null, success_rate: null, merged_last_7_days: 0 });
  });

  it('takes the median of an even count as the mean of the middle two', () => {
    const late = record('e', 'merged', '2026-11-20', { created_at: '2026-11-20T07:00:00.000Z' });
    const agents = AgentsSchema.parse(
      buildSnapshots({ ...input(), records: [record('a', 'merged', '2026-11-20'), late] }).get('agents.json'),
    );
    expect(agents.agents.find((stats) => stats.name === 'gpt')?.median_minutes_to_merge).toBe(120);
  });

  it('ignores attempts without an agent in the comparison and sorts CI runs newest first', () => {
    const run = (name: string, day: string) => ({
      name,
      status: 'completed' as const,
      conclusion: 'success' as const,
      url: null,
      head_sha: null,
      started_at: `2026-11-0${day}T00:00:00Z`,
    });
    const ci = [run('a', '1'), run('c', '3'), run('b', '2')];
    const runs = CiSchema.parse(buildSnapshots({ ...input(), ci }).get('ci.json')).runs;
    expect(runs.map((entry) => entry.name)).toEqual(['c', 'b', 'a']);
  });

  it('counts requested changes as reviews without approval, and a merge without a time as no timing', () => {
    const base = record('r', 'merged', '2026-11-20', { assignee: 'grok-fast', merged_at: null });
    const reviewed = {
      ...base,
      attempts: base.attempts.map((attempt) =>
        attempt.kind === 'review' ? { ...attempt, result: 'changes_requested' as const } : attempt,
      ),
    };
    const agents = AgentsSchema.parse(buildSnapshots({ ...input(), records: [reviewed] }).get('agents.json'));
    expect(agents.agents.map((stats) => stats.name)).toEqual(['gemini-pro', 'gpt', 'grok-fast']);
    expect(agents.agents[0]).toMatchObject({ reviews: 1, approvals: 0 });
    expect(agents.agents[2]).toMatchObject({ merged: 1, median_minutes_to_merge: null });
  });
});

describe('history', () => {
  it('keeps recent days and sums older ones per week, so it stays bounded', () => {
    const records = Array.from({ length: 400 }, (_, index) => {
      const day = new Date(Date.UTC(2025, 0, 1) + index * 86_400_000).toISOString().slice(0, 10);
      return record(`t${index}`, 'merged', day);
    });
    const history = buildHistory(records, { '2024-12-31': 2 }, records.at(-1)!.updated_at);
    expect(history.days.length).toBe(HISTORY_WINDOW_DAYS);
    expect(history.weeks.length).toBeLessThanOrEqual(Math.ceil((400 - HISTORY_WINDOW_DAYS + 1) / 7) + 1);
    const merged = [...history.days, ...history.weeks].reduce((sum, bucket) => sum + bucket.merged, 0);
    expect(merged).toBe(400);
    expect(history.weeks[0]).toMatchObject({ start: '2024-12-30', commits: 2 });
  });

  it('keeps every day when there is no end date', () => {
    expect(buildHistory([record('a', 'merged', '2020-01-01')], {}, null).days).toHaveLength(1);
  });
});

describe('checkRunsFrom', () => {
  it('derives one run per task from its latest check attempt, with or without a commit', () => {
    const bare = record('x', 'failed', '2026-11-21');
    const noCommit = { ...bare, attempts: bare.attempts.map(({ commit: _commit, ...attempt }) => attempt) };
    expect(checkRunsFrom([noCommit])[0]?.head_sha).toBeNull();
    const runs = checkRunsFrom([
      record('a', 'merged', '2026-11-20'),
      record('b', 'failed', '2026-11-21'),
      record('d', 'rejected', '2026-11-22'),
    ]);
    expect(runs.map((run) => [run.name, run.conclusion])).toEqual([
      ['checks · a', 'success'],
      ['checks · b', 'failure'],
    ]);
  });
});

describe('titles', () => {
  const titleOf = (tasks: Task[], records: RunRecord[] = []) =>
    TasksSchema.parse(
      buildSnapshots({ tasks, records, ci: [], commitsPerDay: {}, scheduleIntervalSeconds: null }).get(
        'tasks.json',
      ),
    ).tasks[0]!.title;

  it('shows the start of the description for a task without a title', () => {
    expect(titleOf([task('a', { description: '\n  Fix the   retry helper\nso it backs off' })])).toBe(
      'Fix the retry helper',
    );
  });

  it('cuts a long description at a word, and one long word at the limit', () => {
    const words = 'word '.repeat(40);
    const title = titleOf([task('a', { description: words })]);
    expect(title.length).toBeLessThanOrEqual(DERIVED_TITLE_CHARS);
    expect(title).toMatch(/^(word )+word…$/);
    const long = titleFrom('x'.repeat(500))!;
    expect(long).toBe(`${'x'.repeat(DERIVED_TITLE_CHARS - 1)}…`);
  });

  it('drops bidi, invisible and control characters a description could use to disguise a row', () => {
    expect(titleFrom('\u202Egnp.exe\u200B\u0007 run\u0000me\u2028second line')).toBe('gnp.exe run me');
    expect(titleFrom(' \u202E\u200B \n\t\n')).toBeNull();
  });

  it('keeps a title the task or its record has, and the id when there is nothing else', () => {
    expect(titleOf([task('a', { title: 'Own title' })])).toBe('Own title');
    expect(titleOf([], [record('a', 'failed', '2026-11-20', { title: 'From the record' })])).toBe(
      'From the record',
    );
    expect(titleOf([], [record('a', 'failed', '2026-11-20')])).toBe('a');
    expect(titleOf([task('a', { description: '   ' })])).toBe('a');
  });
});
