import { describe, expect, it } from 'vitest';
import { BUILTIN_AGENTS } from '../../../scripts/agents/registry.ts';
import { CallSlots } from '../../../scripts/engine/run/call-slots.ts';
import type { AgentAnswer, CallAgent } from '../../../scripts/engine/types.ts';

const agent = BUILTIN_AGENTS[0]!;
const request = (taskId: string, signal?: AbortSignal) => ({
  system: '',
  messages: [],
  context: { taskId, agent: agent.name, role: 'coder' as const, iteration: 1 },
  ...(signal ? { signal } : {}),
});

/** A call that answers when `finish(taskId)` is called, recording the order calls began in. */
function controlledCalls() {
  const began: string[] = [];
  const finishers = new Map<string, () => void>();
  const call: CallAgent = (_agent, req) => {
    began.push(req.context.taskId);
    return new Promise<AgentAnswer>((resolve) => {
      finishers.set(req.context.taskId, () => resolve({ text: req.context.taskId } as AgentAnswer));
    });
  };
  const finish = async (taskId: string) => {
    finishers.get(taskId)!();
    // Lets the released slot pass to the next waiting call.
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { began, call, finish };
}

describe('call slots', () => {
  it('lets `size` calls run at once, and gives a freed slot to the task that started first', async () => {
    const slots = new CallSlots(2);
    const { began, call, finish } = controlledCalls();
    const answers = [
      slots.wrap(call, 3)(agent, request('d')),
      slots.wrap(call, 0)(agent, request('a')),
      slots.wrap(call, 5)(agent, request('f')),
      slots.wrap(call, 2)(agent, request('c')),
      slots.wrap(call, 2)(agent, request('c2')),
      slots.wrap(call, 1)(agent, request('b')),
    ];
    await new Promise((resolve) => setImmediate(resolve));
    expect(began).toEqual(['d', 'a']);
    await finish('d');
    expect(began).toEqual(['d', 'a', 'b']);
    await finish('a');
    await finish('b');
    // Equal ranks keep the order they asked in.
    expect(began).toEqual(['d', 'a', 'b', 'c', 'c2']);
    await finish('c');
    await finish('c2');
    await finish('f');
    expect(began).toEqual(['d', 'a', 'b', 'c', 'c2', 'f']);
    expect((await Promise.all(answers)).map((answer) => answer.text)).toEqual([
      'd',
      'a',
      'f',
      'c',
      'c2',
      'b',
    ]);
  });

  it('gives the slot back as soon as the model has answered, before the spend is written', async () => {
    const slots = new CallSlots(1);
    const { began, call, finish } = controlledCalls();
    let written: () => void = () => undefined;
    const answersThenWrites: CallAgent = async (_agent, req) => {
      req.onAnswered?.();
      await new Promise<void>((resolve) => (written = resolve));
      return { text: 'first' } as AgentAnswer;
    };
    const first = slots.wrap(answersThenWrites, 0)(agent, request('first'));
    const second = slots.wrap(call, 1)(agent, request('second'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(began).toEqual(['second']);
    written();
    await finish('second');
    expect((await first).text).toBe('first');
    expect((await second).text).toBe('second');
    // Given back once, not twice: one slot still means one call at a time.
    const third = slots.wrap(call, 2)(agent, request('third'));
    const fourth = slots.wrap(call, 3)(agent, request('fourth'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(began).toEqual(['second', 'third']);
    await finish('third');
    await finish('fourth');
    await Promise.all([third, fourth]);
  });

  it('gives the slot back when a call fails, and makes no call a stopped run was still waiting for', async () => {
    const slots = new CallSlots(1);
    const { began, call, finish } = controlledCalls();
    const failing: CallAgent = async () => {
      throw new Error('HTTP 500');
    };
    await expect(slots.wrap(failing, 0)(agent, request('broken'))).rejects.toThrow('HTTP 500');
    const stop = new AbortController();
    const first = slots.wrap(call, 0)(agent, request('a', stop.signal));
    const waiting = slots.wrap(call, 1)(agent, request('b', stop.signal));
    stop.abort();
    await expect(waiting).rejects.toThrow(`${agent.name}: the call was cancelled`);
    await expect(slots.wrap(call, 2)(agent, request('c', stop.signal))).rejects.toThrow('cancelled');
    await finish('a');
    expect((await first).text).toBe('a');
    // The slot is free again: a call after the stop's waiters were dropped starts at once.
    const later = slots.wrap(call, 3)(agent, request('d'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(began).toEqual(['a', 'd']);
    await finish('d');
    expect((await later).text).toBe('d');
  });
});
