/**
 * The task loop against a forge that answers like a remote one: merges that wait, heads that
 * move, conflicts, pending checks, outages, and a crash between posting a review and recording it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FactoryError } from '../../../scripts/core/errors.ts';
import type { Task } from '../../../scripts/core/task/task.ts';
import { runOnce } from '../../../scripts/engine/run/orchestrator.ts';
import { MemoryForge } from '../../fixtures/memory-forge.ts';
import {
  proposalOf,
  runTask,
  type Script,
  type SeenCall,
  scriptedServices,
} from '../../fixtures/scripted-engine.ts';

let root: string;
let forge: MemoryForge;
let calls: SeenCall[];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'aifactory-remote-'));
  forge = new MemoryForge();
  calls = [];
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const task = (id: string, extra: Partial<Task> = {}): Task => ({
  task_id: id,
  description: `write ${id}`,
  assignee: 'gpt',
  files: ['src/a.ts'],
  ...extra,
});
const approveAll: Script = ({ request }) =>
  request.context.role === 'coder'
    ? proposalOf({ 'src/a.ts': `v${request.context.iteration}` })
    : { verdict: 'approve', summary: 'ok', comments: [] };

describe('merging on a remote forge', () => {
  it('waits, without failing, while the forge cannot merge yet, and merges in a later run', async () => {
    forge.mergeScript.push({ kind: 'waiting', reason: 'required check "test" is expected' });
    const first = await runTask(task('wait'), scriptedServices({ root, forge, script: approveAll }));
    expect(first.state).toBe('approved');
    expect(first.last_error).toEqual({
      class: 'forge',
      message: 'not mergeable yet: required check "test" is expected',
    });
    const second = await runTask(task('wait'), scriptedServices({ root, forge, script: approveAll, calls }));
    expect(second.state).toBe('merged');
    expect(calls).toEqual([]);
  });

  it('waits while auto-merge is armed', async () => {
    forge.mergeScript.push({ kind: 'queued', reason: 'merges when the checks pass' });
    const record = await runTask(task('queued'), scriptedServices({ root, forge, script: approveAll }));
    expect(record.state).toBe('approved');
    expect(record.last_error?.message).toContain('auto-merge is armed');
  });

  it('sends a head that moved after the approval back to review, and reviews the new head', async () => {
    const merge = forge.merge.bind(forge);
    let pushed = false;
    // Someone pushes to the branch between the approval and the merge.
    forge.merge = async (pr, input) => {
      if (!pushed) {
        pushed = true;
        await forge.pushIteration({
          branch: pr.branch,
          changes: [{ path: 'src/a.ts', content: 'pushed by someone' }],
          message: 'sneaky',
          author: { name: 'someone', email: 'someone@example.invalid' },
          trailers: {},
        });
      }
      return merge(pr, input);
    };
    const record = await runTask(task('moved'), scriptedServices({ root, forge, script: approveAll, calls }));
    expect(record.state).toBe('merged');
    expect(record.attempts.map((a) => `${a.kind}:${a.result}`)).toEqual([
      'code:proposed',
      'review:approved',
      'merge:head_moved',
      'review:approved',
      'merge:merged',
    ]);
    expect(calls.filter((call) => call.role === 'reviewer')).toHaveLength(2);
  });

  it('sends a conflict back to the coder, who writes again on a branch started over from the default branch', async () => {
    forge.mergeScript.push({ kind: 'conflict', paths: ['src/a.ts'] });
    forge.main.set('src/a.ts', 'moved on main');
    const record = await runTask(
      task('conflict'),
      scriptedServices({ root, forge, script: approveAll, calls }),
    );
    expect(record.state).toBe('merged');
    expect(record.iteration).toBe(2);
    expect(record.attempts.find((a) => a.result === 'conflict')?.output).toBe('conflicts in src/a.ts');
    const coder2 = calls.find((call) => call.role === 'coder' && call.iteration === 2)!;
    expect(coder2.system).toContain('could not merge (conflicts in src/a.ts)');
    // The coder saw the default branch's content, not its own stale branch.
    expect(coder2.system).toContain('moved on main');
    expect(forge.bases.get('aifactory/conflict')?.get('src/a.ts')).toBe('moved on main');
  });
});

describe('pending checks', () => {
  it('wait for a later run, and time out with a clear reason', async () => {
    forge.checkScript.set('aifactory/slow', [
      { state: 'pending', output: '' },
      { state: 'pending', output: '' },
    ]);
    const first = await runTask(task('slow'), scriptedServices({ root, forge, script: approveAll }));
    expect(first.state).toBe('reviewing');
    expect(first.checks_pending_since).toBeTruthy();
    expect(first.last_error?.message).toContain('waiting for the checks of');
    const later = scriptedServices({
      root,
      forge,
      script: approveAll,
      config: { checks: { pending_timeout_minutes: 1 } },
    });
    const realNow = later.now;
    later.now = () => new Date(realNow().getTime() + 5 * 60_000);
    const timedOut = await runTask(task('slow'), later);
    expect(timedOut.state).toBe('failed');
    expect(timedOut.last_error?.message).toContain('still pending after 1 minute;');
  });

  it('record nothing while pending, and clear the mark once they pass', async () => {
    forge.checkScript.set('aifactory/then-green', [
      { state: 'pending', output: '' },
      { state: 'passed', output: '' },
    ]);
    await runTask(task('then-green'), scriptedServices({ root, forge, script: approveAll }));
    const done = await runTask(task('then-green'), scriptedServices({ root, forge, script: approveAll }));
    expect(done.state).toBe('merged');
    expect(done.checks_pending_since).toBeNull();
    expect(done.attempts.filter((a) => a.kind === 'checks').map((a) => a.result)).toEqual(['passed']);
  });
});

describe('outages and crashes', () => {
  it('pauses a task on a transient forge error instead of failing it, and goes on in the next run', async () => {
    const original = forge.openPullRequest.bind(forge);
    let down = true;
    forge.openPullRequest = async (input) => {
      if (down) throw new FactoryError('server', 'github: HTTP 502 Bad Gateway');
      return original(input);
    };
    const first = await runTask(task('outage'), scriptedServices({ root, forge, script: approveAll }));
    expect(first.state).toBe('running');
    expect(first.last_error).toEqual({ class: 'server', message: 'github: HTTP 502 Bad Gateway' });
    down = false;
    const second = await runTask(task('outage'), scriptedServices({ root, forge, script: approveAll }));
    expect(second.state).toBe('merged');
    expect(forge.pulls).toHaveLength(1);
  });

  it('fails a task on a permanent forge error, with its message', async () => {
    forge.openPullRequest = async () => {
      throw new FactoryError(
        'forge',
        'github: 403 Resource not accessible by integration (needs pull-requests: write)',
      );
    };
    const record = await runTask(task('denied'), scriptedServices({ root, forge, script: approveAll }));
    expect(record.state).toBe('failed');
    expect(record.last_error?.message).toContain('pull-requests: write');
  });

  it('pauses the task and stops the run when the forge refuses the token, and goes on once it is fixed', async () => {
    const original = forge.openPullRequest.bind(forge);
    let refused = true;
    forge.openPullRequest = async (input) => {
      if (refused)
        throw new FactoryError('auth', 'github: 403 Resource not accessible (needs pull-requests: write)');
      return original(input);
    };
    const files: Record<string, string> = { first: 'src/a.ts', second: 'src/b.ts', third: 'src/c.ts' };
    const tasks = Object.entries(files).map(([id, path]) => task(id, { files: [path] }));
    const script: Script = ({ request }) =>
      request.context.role === 'coder'
        ? proposalOf({ [files[request.context.taskId]!]: 'v' })
        : { verdict: 'approve', summary: 'ok', comments: [] };
    const first = await runOnce(tasks, scriptedServices({ root, forge, script, calls }), { concurrency: 1 });
    expect(first.refused).toContain('pull-requests: write');
    expect(first.stopped).toBe(true);
    // The two tasks open at once (one call slot) met the refusal and wait; the third never started.
    expect([...first.records.keys()].sort()).toEqual(['first', 'second']);
    for (const record of first.records.values()) {
      expect(record.state).toBe('running');
      expect(record.last_error?.class).toBe('auth');
    }
    expect(calls.filter((call) => call.role === 'coder')).toHaveLength(2);
    refused = false;
    const second = await runOnce(tasks, scriptedServices({ root, forge, script, calls }), { concurrency: 1 });
    expect(second.refused).toBeUndefined();
    expect([...second.records.values()].map((record) => record.state)).toEqual([
      'merged',
      'merged',
      'merged',
    ]);
  });

  it('pauses the task and stops the run when the forge cannot be reached, and goes on once it can', async () => {
    const original = forge.openPullRequest.bind(forge);
    let down = true;
    forge.openPullRequest = async (input) => {
      if (down)
        throw new FactoryError('network', 'opening a pull request: could not reach GitHub at http://x');
      return original(input);
    };
    const files: Record<string, string> = { first: 'src/a.ts', second: 'src/b.ts', third: 'src/c.ts' };
    const tasks = Object.entries(files).map(([id, path]) => task(id, { files: [path] }));
    const script: Script = ({ request }) =>
      request.context.role === 'coder'
        ? proposalOf({ [files[request.context.taskId]!]: 'v' })
        : { verdict: 'approve', summary: 'ok', comments: [] };
    const first = await runOnce(tasks, scriptedServices({ root, forge, script, calls }), { concurrency: 1 });
    expect(first.unreachable).toContain('could not reach GitHub at http://x');
    expect(first.refused).toBeUndefined();
    expect(first.stopped).toBe(true);
    expect([...first.records.keys()].sort()).toEqual(['first', 'second']);
    for (const record of first.records.values()) expect(record.last_error?.class).toBe('network');
    down = false;
    const second = await runOnce(tasks, scriptedServices({ root, forge, script, calls }), { concurrency: 1 });
    expect(second.unreachable).toBeUndefined();
    expect([...second.records.values()].map((record) => record.state)).toEqual([
      'merged',
      'merged',
      'merged',
    ]);
  });

  it('never posts a review twice, nor asks the reviewer again, when a crash cut between posting and recording', async () => {
    const s = scriptedServices({ root, forge, script: approveAll, calls });
    const store = s.store;
    const write = store.write.bind(store);
    // The write that would record the verdict dies, as a SIGKILL right after the post would.
    store.write = async (record) => {
      if (record.state === 'approved') throw new Error('killed');
      return write(record);
    };
    await expect(runTask(task('crash'), s)).rejects.toThrow('killed');
    expect(forge.pulls[0]?.reviews).toHaveLength(1);
    store.write = write;
    const resumed = await runTask(
      task('crash'),
      scriptedServices({ root, forge, script: approveAll, calls }),
    );
    expect(resumed.state).toBe('merged');
    expect(forge.pulls[0]?.reviews).toHaveLength(1);
    expect(calls.filter((call) => call.role === 'reviewer')).toHaveLength(1);
  });
});

describe('tool agents', () => {
  it('see the review feedback of the previous iteration', async () => {
    const { AgentRegistry, BUILTIN_AGENTS } = await import('../../../scripts/agents/registry.ts');
    const { defineAgent } = await import('../../../scripts/agents/define-agent.ts');
    const seen: (string | undefined)[] = [];
    const tool = defineAgent({
      name: 'fixer',
      role: 'tool',
      run: async (input) => {
        seen.push(input.feedback);
        return { text: proposalOf({ 'src/a.ts': `tool v${input.iteration}` }) };
      },
    });
    const registry = new AgentRegistry([...BUILTIN_AGENTS, tool]);
    const script: Script = ({ request }) =>
      request.context.iteration === 1
        ? {
            verdict: 'request_changes',
            summary: 'Use a constant.',
            comments: [{ path: 'src/a.ts', body: 'name it' }],
          }
        : { verdict: 'approve', summary: 'ok', comments: [] };
    await runTask(
      task('tool', { assignee: 'fixer', reviewer: 'gpt' }),
      scriptedServices({ root, forge, script, registry }),
    );
    expect(seen[0]).toBeUndefined();
    expect(seen[1]).toContain('Use a constant.');
    expect(seen[1]).toContain('name it');
  });
});
