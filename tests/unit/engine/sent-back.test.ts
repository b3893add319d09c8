import { beforeEach, describe, expect, it } from 'vitest';
import type { Task } from '../../../scripts/core/task/task.ts';
import {
  perTestSandbox,
  proposalOf,
  runTask,
  type Script,
  type SeenCall,
  scriptedServices,
} from '../../fixtures/scripted-engine.ts';

const sandbox = perTestSandbox('aifactory-sent-back-');
let calls: SeenCall[];
let steps: string[];

beforeEach(() => {
  calls = [];
  steps = [];
});

const task = (extra: Partial<Task> = {}): Task => ({
  task_id: 'a',
  description: 'Write src/a.ts',
  assignee: 'gpt',
  files: ['src/a.ts'],
  ...extra,
});
const approve = { verdict: 'approve', summary: 'Good.', comments: [] };
const requestChanges = { verdict: 'request_changes', summary: 'Not yet.', comments: [] };

/** The coder answers `answers[iteration - 1]`; the reviewer approves unless `verdicts` says otherwise. */
function script(answers: string[], verdicts: object[] = []): Script {
  return ({ request }) => {
    const { role, iteration } = request.context;
    if (role === 'reviewer') return verdicts[iteration - 1] ?? approve;
    return answers[Math.min(iteration, answers.length) - 1];
  };
}

const trail = (record: { attempts: { iteration: number; kind: string; result: string }[] }) =>
  record.attempts.map((attempt) => `${attempt.iteration}:${attempt.kind}:${attempt.result}`);
const coderPromptIn = (iteration: number) =>
  calls.find((call) => call.role === 'coder' && call.iteration === iteration)?.system ?? '';

describe('an answer with no file blocks', () => {
  it('goes back to the coder with what was wrong, and counts an iteration', async () => {
    const s = scriptedServices({
      ...sandbox,
      calls,
      steps,
      script: script([
        'I would change src/a.ts to export 1.',
        proposalOf({ 'src/a.ts': 'export const a = 1;' }),
      ]),
    });
    const record = await runTask(task(), s);
    expect(record.state).toBe('merged');
    expect(trail(record)).toEqual(['1:code:error', '2:code:proposed', '2:review:approved', '2:merge:merged']);
    expect(record.attempts[0]?.error?.message).toContain('the answer holds no usable proposal');
    expect(coderPromptIn(2)).toContain(
      'Your previous answer was not used: the answer holds no usable proposal',
    );
    expect(
      steps.some((line) => line.includes('no usable proposal') && line.includes('back to the coder')),
    ).toBe(true);
    expect(sandbox.forge.commits).toHaveLength(1);
  });

  it('fails the task once its iterations are spent, saying why, with no pull request', async () => {
    const s = scriptedServices({ ...sandbox, script: script(['Nothing to write.']) });
    const record = await runTask(task({ max_iterations: 1 }), s);
    expect(record.state).toBe('failed');
    expect(record.last_error?.class).toBe('bad_output');
    expect(record.last_error?.message).toContain(
      'after 1 iteration (the last: the answer holds no usable proposal',
    );
    expect(sandbox.forge.pulls).toHaveLength(0);
  });

  it('keeps a hostile reason bounded: a huge info string is cut in the record and the prompt', async () => {
    const huge = `\`\`\`ts:${'x'.repeat(50_000)}\nunclosed`;
    const s = scriptedServices({
      ...sandbox,
      calls,
      script: script([huge, proposalOf({ 'src/a.ts': 'ok' })]),
    });
    const record = await runTask(task(), s);
    expect(record.attempts[0]?.error?.message.length).toBeLessThanOrEqual(500);
    expect(coderPromptIn(2).length).toBeLessThan(coderPromptIn(1).length + 2_000);
  });
});

describe('an answer that changes nothing', () => {
  it('is never committed or merged: the coder hears that it changes nothing', async () => {
    sandbox.forge.main.set('src/a.ts', 'export const a = 1;\n');
    const s = scriptedServices({
      ...sandbox,
      calls,
      script: script([proposalOf({ 'src/a.ts': 'export const a = 1;' })]),
    });
    const record = await runTask(task({ max_iterations: 2 }), s);
    expect(record.state).toBe('failed');
    expect(trail(record)).toEqual(['1:code:error', '2:code:error']);
    expect(record.last_error?.message).toContain('the answer changes nothing: src/a.ts already holds');
    expect(coderPromptIn(2)).toContain('Your previous answer was not used: the answer changes nothing');
    expect(sandbox.forge.commits).toHaveLength(0);
    expect(sandbox.forge.pulls).toHaveLength(0);
  });

  it('is judged against the branch in a later iteration: writing the last iteration again changes nothing', async () => {
    const v1 = proposalOf({ 'src/a.ts': 'v1' });
    const s = scriptedServices({
      ...sandbox,
      calls,
      script: script([v1, v1, proposalOf({ 'src/a.ts': 'v2' })], [requestChanges]),
    });
    const record = await runTask(task(), s);
    expect(record.state).toBe('merged');
    expect(trail(record)).toEqual([
      '1:code:proposed',
      '1:review:changes_requested',
      '2:code:error',
      '3:code:proposed',
      '3:review:approved',
      '3:merge:merged',
    ]);
    expect(sandbox.forge.commits).toHaveLength(2);
    expect(sandbox.forge.main.get('src/a.ts')).toBe('v2\n');
  });
});
