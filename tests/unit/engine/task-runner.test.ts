import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentRequest } from '../../../scripts/agents/invoke.ts';
import { AgentRegistry, BUILTIN_AGENTS } from '../../../scripts/agents/registry.ts';
import type { Agent } from '../../../scripts/agents/types.ts';
import { ConfigSchema } from '../../../scripts/core/config.ts';
import { FactoryError } from '../../../scripts/core/errors.ts';
import type { RunRecord } from '../../../scripts/core/record/run-record.ts';
import type { Task } from '../../../scripts/core/task/task.ts';
import { SecretGuard } from '../../../scripts/engine/guard/secret-guard.ts';
import { PromptLibrary } from '../../../scripts/engine/prompts.ts';
import { runOnce } from '../../../scripts/engine/run/orchestrator.ts';
import { TaskRunner } from '../../../scripts/engine/run/task-runner.ts';
import { RunStore } from '../../../scripts/engine/store/run-store.ts';
import type { AgentAnswer, EngineServices } from '../../../scripts/engine/types.ts';
import { REPO_ROOT } from '../../fixtures/cli.ts';
import { MemoryForge } from '../../fixtures/memory-forge.ts';
import { silentProgress } from '../../fixtures/silent-progress.ts';

type Script = (call: { agent: Agent; request: AgentRequest }) => string | Error | unknown;

let root: string;
let forge: MemoryForge;
let calls: { agent: string; role: string; iteration: number; taskId: string; system: string }[];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'aifactory-runner-'));
  // The coder's tools read the repository's working tree, as git lists it.
  execFileSync('git', ['init', '-q'], { cwd: root });
  forge = new MemoryForge();
  calls = [];
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function task(id: string, extra: Partial<Task> = {}): Task {
  return { task_id: id, description: `Write ${id}`, assignee: 'gpt', files: [`src/${id}.ts`], ...extra };
}

const proposal = (path: string, content: string): string =>
  `Here it is.\n\n\`\`\`ts:${path}\n${content}\n\`\`\`\n`;
const verdict = (kind: 'approve' | 'request_changes', body = 'fix it') => ({
  verdict: kind,
  summary: kind === 'approve' ? 'Looks right.' : 'Needs work.',
  comments: kind === 'approve' ? [] : [{ path: 'src/a.ts', line: 1, body }],
});

function services(script: Script, extra: Partial<EngineServices> = {}): EngineServices {
  let clock = Date.parse('2026-11-25T10:00:00Z');
  return {
    root,
    config: ConfigSchema.parse({}),
    registry: new AgentRegistry(BUILTIN_AGENTS),
    forge,
    store: new RunStore(root),
    prompts: new PromptLibrary(REPO_ROOT),
    progress: silentProgress,
    secrets: new SecretGuard([]),
    now: () => {
      clock += 1000;
      return new Date(clock);
    },
    callAgent: async (agent, request): Promise<AgentAnswer> => {
      calls.push({ ...request.context, agent: agent.name, system: request.system });
      const out = script({ agent, request });
      if (out instanceof Error) throw out;
      const isText = typeof out === 'string';
      return {
        text: isText ? out : JSON.stringify(out),
        ...(isText ? {} : { json: out }),
        usage: { inputTokens: 100, outputTokens: 20 },
        model: `${agent.model}-x`,
        provider: agent.provider,
        finishReason: 'stop',
        latencyMs: 5,
        costUsd: 0.01,
      };
    },
    ...extra,
  };
}

async function runTask(t: Task, s: EngineServices): Promise<RunRecord> {
  const runner = await TaskRunner.open(t, s);
  await runner.run();
  return runner.record;
}

describe('the task loop', () => {
  it('takes a task from code to merge: one commit, one pull request, a review, and the content on main', async () => {
    const s = services(({ request }) =>
      request.context.role === 'coder' ? proposal('src/a.ts', 'export const a = 1;') : verdict('approve'),
    );
    const record = await runTask(task('a'), s);
    expect(record.state).toBe('merged');
    expect(record.attempts.map((a) => `${a.kind}:${a.result}`)).toEqual([
      'code:proposed',
      'review:approved',
      'merge:merged',
    ]);
    expect(record.attempts[0]).toMatchObject({
      agent: 'gpt',
      provider: 'openai',
      model: 'gpt-5-mini-x',
      cost_usd: 0.01,
    });
    expect(record.reviewer).toBe('gemini-pro');
    expect(forge.main.get('src/a.ts')).toBe('export const a = 1;\n');
    expect(forge.commits).toHaveLength(1);
    expect(forge.commits[0]?.trailers).toMatchObject({ 'Task-Id': 'a', Agent: 'gpt', Iteration: '1' });
    expect(forge.pulls).toHaveLength(1);
    expect(forge.pulls[0]?.reviews[0]).toMatchObject({ agent: 'gemini-pro', verdict: 'approve' });
    const saved = JSON.parse(await readFile(join(root, 'shared/runs/a.json'), 'utf8'));
    expect(saved.state).toBe('merged');
  });

  it('gives the coder the review comments, and merges the second iteration', async () => {
    const s = services(({ request }) => {
      const { role, iteration } = request.context;
      if (role === 'coder') return proposal('src/a.ts', `export const a = ${iteration};`);
      return verdict(iteration === 1 ? 'request_changes' : 'approve', 'use a constant named A');
    });
    const record = await runTask(task('a'), s);
    expect(record).toMatchObject({ state: 'merged', iteration: 2 });
    expect(calls.filter((c) => c.role === 'coder')[1]?.system).toContain('use a constant named A');
    expect(forge.main.get('src/a.ts')).toBe('export const a = 2;\n');
    expect(forge.pulls).toHaveLength(1);
    expect(forge.commits).toHaveLength(2);
  });

  it('sends failing check output back to the coder and skips the review of a red iteration', async () => {
    forge.checkScript.set('aifactory/a', [
      { state: 'failed', output: 'AssertionError: expected 2 to be 3' },
      { state: 'passed', output: '' },
    ]);
    const s = services(({ request }) =>
      request.context.role === 'coder'
        ? proposal('src/a.ts', `v${request.context.iteration}`)
        : verdict('approve'),
    );
    const record = await runTask(task('a'), s);
    expect(record.state).toBe('merged');
    expect(record.attempts.map((a) => `${a.iteration}:${a.kind}:${a.result}`)).toEqual([
      '1:code:proposed',
      '1:checks:failed',
      '2:code:proposed',
      '2:checks:passed',
      '2:review:approved',
      '2:merge:merged',
    ]);
    expect(calls.filter((c) => c.role === 'reviewer')).toHaveLength(1);
    expect(calls.filter((c) => c.role === 'coder')[1]?.system).toContain('expected 2 to be 3');
  });

  it('fails the task after max_iterations without approval, saying why', async () => {
    const s = services(({ request }) =>
      request.context.role === 'coder'
        ? proposal('src/a.ts', `v${request.context.iteration}`)
        : verdict('request_changes'),
    );
    const record = await runTask(task('a', { max_iterations: 2 }), s);
    expect(record).toMatchObject({ state: 'failed', iteration: 2 });
    expect(record.last_error?.message).toContain('after 2 iterations');
    expect(forge.main.size).toBe(0);
  });

  it('tells the pull request of a failed task why, closes it once, and a retry reopens the same one', async () => {
    let round = 'first';
    const s = services(({ request }) =>
      request.context.role === 'coder'
        ? proposal('src/a.ts', `${round} v${request.context.iteration}`)
        : verdict(round === 'first' ? 'request_changes' : 'approve'),
    );
    const failed = await runTask(task('a', { max_iterations: 1 }), s);
    expect(failed).toMatchObject({ state: 'failed', pull_request: { number: 1, closed: true } });
    expect(forge.pulls[0]).toMatchObject({ state: 'closed' });
    expect(forge.pulls[0]?.comments).toEqual([
      { key: 'failed-1', body: expect.stringContaining('after 1 iteration') },
    ]);
    expect(forge.pulls[0]?.comments[0]?.body).toContain('npm run aifactory -- retry a');
    // A person's retry: the next iteration reopens pull request #1 rather than opening another.
    const { reopen } = await import('../../../scripts/core/record/record-ops.ts');
    await new RunStore(root).write(reopen(failed, new Date().toISOString()));
    round = 'second';
    const merged = await runTask(task('a', { max_iterations: 1 }), s);
    expect(merged).toMatchObject({ state: 'merged', pull_request: { number: 1 } });
    expect(merged.pull_request).not.toHaveProperty('closed');
    expect(forge.pulls).toHaveLength(1);
    expect(forge.pulls[0]?.state).toBe('merged');
  });

  it('closes the pull request in a later run when the forge failed as the task ended', async () => {
    const warnings: string[] = [];
    const s = services(
      ({ request }) =>
        request.context.role === 'coder' ? proposal('src/a.ts', 'v') : verdict('request_changes'),
      { progress: { step: () => undefined, done: () => undefined, warn: (m) => warnings.push(m) } },
    );
    const close = forge.closePullRequest.bind(forge);
    forge.closePullRequest = async () => {
      throw new FactoryError('server', 'GitHub answered 502');
    };
    const failed = await runTask(task('a', { max_iterations: 1 }), s);
    expect(failed.state).toBe('failed');
    expect(failed.pull_request).not.toHaveProperty('closed');
    expect(warnings.join('\n')).toContain('a: could not close its pull request yet (GitHub answered 502)');
    forge.closePullRequest = close;
    const summary = await runOnce([task('a', { max_iterations: 1 })], s, { concurrency: 1 });
    expect(summary.records.get('a')?.pull_request).toMatchObject({ number: 1, closed: true });
    expect(forge.pulls[0]?.state).toBe('closed');
    // The comment made before the failure is not made twice; a further run touches nothing.
    expect(forge.pulls[0]?.comments).toHaveLength(1);
    expect((await runOnce([task('a', { max_iterations: 1 })], s, { concurrency: 1 })).records.size).toBe(0);
  });

  it('rejects a proposal that writes an undeclared file, and writes nothing', async () => {
    const s = services(() => proposal('src/other.ts', 'x'));
    const record = await runTask(task('a'), s);
    expect(record.state).toBe('rejected');
    expect(record.rejection).toMatchObject({ path: 'src/other.ts' });
    expect(forge.commits).toHaveLength(0);
    expect(forge.pulls).toHaveLength(0);
  });

  it('rejects a write through a symbolic link', async () => {
    forge.symlinks.add('src');
    const record = await runTask(
      task('a'),
      services(() => proposal('src/a.ts', 'x')),
    );
    expect(record.rejection).toMatchObject({ rule: 'symlink', path: 'src/a.ts' });
    expect(forge.commits).toHaveLength(0);
  });

  it('rejects a proposal holding a secret, without repeating the secret', async () => {
    const key = `xai-${'Q7f'.repeat(27)}`;
    const record = await runTask(
      task('a'),
      services(() => proposal('src/a.ts', `const key = '${key}';`)),
    );
    expect(record.rejection).toMatchObject({ rule: 'secret', path: 'src/a.ts' });
    expect(JSON.stringify(record)).not.toContain(key);
    expect(forge.commits).toHaveLength(0);
  });

  it('fails with bad_output when the answer holds no proposal', async () => {
    const record = await runTask(
      task('a'),
      services(() => 'I cannot do that.'),
    );
    expect(record).toMatchObject({ state: 'failed', last_error: { class: 'bad_output' } });
  });

  it('records a provider failure as the last error of a failed task', async () => {
    const s = services(() => new FactoryError('rate_limit', 'openai: 429 after 3 retries'));
    const record = await runTask(task('a'), s);
    expect(record).toMatchObject({ state: 'failed', last_error: { class: 'rate_limit' } });
    expect(record.attempts[0]).toMatchObject({ kind: 'code', result: 'error' });
  });

  it('pauses on a budget cap without failing, and resumes in a later run', async () => {
    const capped = services(() => new FactoryError('budget', 'daily cap $1 reached'));
    const paused = await runTask(task('a'), capped);
    expect(paused).toMatchObject({ state: 'running', last_error: { class: 'budget' } });
    expect(paused.attempts[0]).toMatchObject({ result: 'skipped' });
    const s = services(({ request }) =>
      request.context.role === 'coder' ? proposal('src/a.ts', 'x') : verdict('approve'),
    );
    expect((await runTask(task('a'), s)).state).toBe('merged');
  });

  it('pauses on a refused key instead of failing the task', async () => {
    const record = await runTask(
      task('a'),
      services(() => new FactoryError('auth', 'openai: HTTP 401; check the API key')),
    );
    expect(record).toMatchObject({ state: 'running', last_error: { class: 'auth' } });
    expect(record.attempts[0]).toMatchObject({ result: 'skipped' });
  });

  it('resumes after a stop between steps without a second commit or pull request', async () => {
    const controller = new AbortController();
    const script: Script = ({ request }) =>
      request.context.role === 'coder' ? proposal('src/a.ts', 'x') : verdict('approve');
    const first = services(script, {
      signal: controller.signal,
      progress: {
        step: (_id, message) => {
          if (message.includes('is reviewing')) controller.abort();
        },
        done: () => undefined,
      },
    });
    const runner = await TaskRunner.open(task('a'), first);
    expect(await runner.run()).toBe('stopped');
    expect(runner.record.state).toBe('approved');
    const record = await runTask(task('a'), services(script));
    expect(record.state).toBe('merged');
    expect(forge.commits).toHaveLength(1);
    expect(forge.pulls).toHaveLength(1);
  });

  it('leaves a task as it was when the run is stopped during a model call', async () => {
    const controller = new AbortController();
    const s = services(
      () => {
        controller.abort();
        return new FactoryError('timeout', 'openai: the request was cancelled');
      },
      { signal: controller.signal },
    );
    const runner = await TaskRunner.open(task('a'), s);
    expect(await runner.run()).toBe('stopped');
    expect(runner.record).toMatchObject({ state: 'running', last_error: null, attempts: [] });
  });

  it('runs a tool agent without a model call', async () => {
    const tool: Agent = {
      ...BUILTIN_AGENTS[0]!,
      name: 'formatter',
      role: 'tool',
      run: async (input) => ({ text: proposal(input.task.files[0]!, 'formatted') }),
    };
    const s = services(() => verdict('approve'), { registry: new AgentRegistry([...BUILTIN_AGENTS, tool]) });
    const record = await runTask(task('a', { assignee: 'formatter' }), s);
    expect(record.state).toBe('merged');
    expect(calls.map((c) => c.role)).toEqual(['reviewer']);
  });
});

describe('runOnce', () => {
  it('runs a dependency chain in one run, and blocks the dependants of a failed task', async () => {
    const tasks = [
      task('a'),
      task('b', { depends_on: ['a'] }),
      task('c', { depends_on: ['b'] }),
      task('x', { assignee: 'grok-fast' }),
      task('y', { depends_on: ['x'] }),
    ];
    const s = services(({ agent, request }) => {
      if (agent.name === 'grok-fast') return new FactoryError('server', 'xai: HTTP 503 after 3 retries');
      return request.context.role === 'coder'
        ? proposal(`src/${request.context.taskId}.ts`, request.context.taskId)
        : verdict('approve');
    });
    const summary = await runOnce(tasks, s, { concurrency: 2 });
    const states = Object.fromEntries([...summary.records].map(([id, r]) => [id, r.state]));
    expect(states).toEqual({ a: 'merged', b: 'merged', c: 'merged', x: 'failed', y: 'blocked' });
    expect(summary.records.get('y')?.last_error?.message).toContain('dependency "x" ended failed');
    expect(summary.waiting).toEqual([]);
  });

  it('makes at most `concurrency` agent calls at once, while other open tasks push and merge beside them', async () => {
    const s = services(({ request }) =>
      request.context.role === 'coder'
        ? proposal(`src/${request.context.taskId}.ts`, request.context.taskId)
        : verdict('approve'),
    );
    // No timers: the first push waits until two other calls are in at once, and a call that
    // enters while that push waits stays in until a second joins it. Were a push to hold a call
    // slot, the second call could never enter and the run would not end.
    let inCall = 0;
    let most = 0;
    let pushWaiting = false;
    let pushesBesideTwoCalls = 0;
    const { promise: twoCallsBesidePush, resolve: sawTwoCalls } = Promise.withResolvers<void>();
    const seeTwoCalls = () => {
      if (pushWaiting && inCall === 2 && pushesBesideTwoCalls === 0) {
        pushesBesideTwoCalls += 1;
        sawTwoCalls();
      }
    };
    const call = s.callAgent;
    s.callAgent = async (agent, request) => {
      inCall += 1;
      most = Math.max(most, inCall);
      try {
        seeTwoCalls();
        if (pushWaiting && pushesBesideTwoCalls === 0) await twoCallsBesidePush;
        return await call(agent, request);
      } finally {
        inCall -= 1;
      }
    };
    const push = forge.pushIteration.bind(forge);
    forge.pushIteration = async (input) => {
      if (!pushWaiting) {
        pushWaiting = true;
        seeTwoCalls();
        await twoCallsBesidePush;
      }
      return push(input);
    };
    const tasks = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((id) => task(id));
    const summary = await runOnce(tasks, s, { concurrency: 2 });
    expect([...summary.records.values()].every((record) => record.state === 'merged')).toBe(true);
    expect(most).toBe(2);
    expect(pushesBesideTwoCalls).toBe(1);
  });

  it('runs only the tasks asked for', async () => {
    const s = services(({ request }) =>
      request.context.role === 'coder'
        ? proposal(`src/${request.context.taskId}.ts`, 'x')
        : verdict('approve'),
    );
    const summary = await runOnce([task('a'), task('b')], s, { concurrency: 4, only: new Set(['b']) });
    expect([...summary.records.keys()]).toEqual(['b']);
    expect(forge.main.has('src/a.ts')).toBe(false);
  });

  it('leaves a task the forecast defers untouched, and counts it under --max-tasks as the forecast did', async () => {
    const s = services(({ request }) =>
      request.context.role === 'coder'
        ? proposal(`src/${request.context.taskId}.ts`, 'x')
        : verdict('approve'),
    );
    const tasks = [task('a', { priority: 3 }), task('b', { priority: 2 }), task('c', { priority: 1 })];
    // The forecast priced a and b (max 2) and left b for tomorrow: only a starts, not c in b's place.
    const summary = await runOnce(tasks, s, { concurrency: 4, maxTasks: 2, deferred: new Set(['b']) });
    expect([...summary.records.keys()]).toEqual(['a']);
    expect(summary.waiting).toEqual(['b', 'c']);
    expect(await s.store.read('b')).toBeUndefined();
    const all = await runOnce(tasks, s, { concurrency: 4, deferred: new Set(['b']) });
    expect([...all.records.keys()]).toEqual(['c']);
  });
});
