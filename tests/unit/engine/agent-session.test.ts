// What the run record keeps of a real agent loop: hostile calls end up bounded and redacted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentRequest } from '../../../scripts/agents/invoke.ts';
import { AgentLoopConfigSchema } from '../../../scripts/core/config.ts';
import { FactoryError } from '../../../scripts/core/errors.ts';
import { RunRecordSchema } from '../../../scripts/core/record/run-record.ts';
import { SESSION_BOUNDS, sessionLines, sessionOf } from '../../../scripts/core/record/session-log.ts';
import { type LoopOutcome, runAgentLoop } from '../../../scripts/engine/agent-loop/loop.ts';
import { toolsUsed } from '../../../scripts/engine/steps/code.ts';
import type { AgentAnswer } from '../../../scripts/engine/types.ts';
import type { ToolCall } from '../../../scripts/providers/types.ts';
import { MemoryForge } from '../../fixtures/memory-forge.ts';
import { runTask, scriptedServices } from '../../fixtures/scripted-engine.ts';
import { ALL_FORMS, CANARY } from '../../fixtures/secret-canaries.ts';
import { createTrapRepo, GUARD, removeRepo, toolboxFor } from './tools/tools-fixture.ts';

let root: string;
beforeAll(async () => {
  ({ root } = await createTrapRepo());
});
afterAll(async () => {
  await removeRepo(root);
});

/** Runs a loop whose model answers turn n with `turns[n]` (the last one again past the end). */
async function session(turns: Omit<ToolCall, 'id'>[][], limits: Record<string, number> = {}) {
  let turn = 0;
  const call = async (_request: AgentRequest): Promise<AgentAnswer> => {
    const calls = turns[Math.min(turn, turns.length - 1)]!;
    turn += 1;
    return {
      text: '',
      usage: { inputTokens: 1000 * turn, outputTokens: 10 * turn },
      model: 'm',
      provider: 'openai',
      costUsd: 0,
      finishReason: 'tool_calls',
      toolCalls: calls.map((each, index) => ({ ...each, id: `c${turn}_${index}` })),
      latencyMs: 1,
    };
  };
  const { toolbox } = await toolboxFor(root);
  const outcome: LoopOutcome = await runAgentLoop({
    call,
    toolbox,
    system: 'system',
    opening: 'Work on task t.',
    context: { taskId: 't', agent: 'gpt', role: 'coder', iteration: 1 },
    limits: AgentLoopConfigSchema.parse(limits),
  });
  const ended = outcome.kind === 'finished' ? 'finish' : outcome.kind;
  const kept = sessionOf({ ...outcome, ended }, (text) => GUARD.redact(text));
  // What reaches the disk goes through the record's schema.
  expect(RunRecordSchema.shape.attempts.element.shape.session.safeParse(kept).success).toBe(true);
  return { outcome, kept, text: JSON.stringify(kept) };
}

const finish = { name: 'finish', arguments: { summary: 'done' } };

describe('the session of an agent loop', () => {
  it('keeps each turn with its tokens and each call with its result size, in order', async () => {
    const { kept } = await session([
      [{ name: 'search', arguments: { pattern: 'value1 =' } }],
      [{ name: 'read_file', arguments: { path: 'src/app.ts', end_line: 2 } }],
      [
        {
          name: 'edit_file',
          arguments: { path: 'src/app.ts', old_text: 'value1 = 1;', new_text: 'value1 = 2;' },
        },
      ],
      [finish],
    ]);
    const lines = sessionLines(kept).map((line) => line.text);
    expect(lines[0]).toBe('turn 1: 1,000 tokens in, 10 out');
    expect(lines[1]).toMatch(/^search \{"pattern":"value1 ="\} → \d+ bytes$/);
    expect(lines[2]).toBe('turn 2: 2,000 tokens in, 20 out');
    expect(lines[3]).toMatch(/^read_file \{"path":"src\/app.ts","end_line":2\} → \d+ bytes$/);
    expect(lines.at(-1)).toBe('the agent called finish (4 turns, 4 tool calls)');
  });

  it('redacts a key of the run in tool arguments and in the refusal that quotes it', async () => {
    const content = `export const key = '${CANARY.OPENAI_API_KEY}';\n// ${CANARY.GITHUB_TOKEN}\n`;
    const { kept, text } = await session([
      [{ name: 'write_file', arguments: { path: 'src/leak.ts', content } }],
      [{ name: 'search', arguments: { pattern: CANARY.STRIPE_WEBHOOK_SECRET } }],
      [finish],
    ]);
    for (const form of ALL_FORMS) expect(text).not.toContain(form);
    // The write was refused for the secret, and the record says so.
    const write = kept.entries.find((entry) => entry.kind === 'call' && entry.tool === 'write_file');
    expect(write).toMatchObject({ refused: { rule: expect.stringMatching(/secret/) } });
  });

  it('bounds a 10 MB argument to a short view and its length', async () => {
    const huge = 'A'.repeat(10 * 1024 * 1024);
    const { kept, text } = await session([
      [{ name: 'write_file', arguments: { path: 'src/huge.ts', content: huge } }],
      [finish],
    ]);
    expect(text.length).toBeLessThan(2000);
    const write = kept.entries[1]!;
    expect(write).toMatchObject({ kind: 'call', tool: 'write_file', refused: { rule: expect.any(String) } });
    if (write.kind === 'call') {
      expect(write.args_chars).toBeGreaterThan(huge.length);
      expect(write.args.length).toBeLessThanOrEqual(SESSION_BOUNDS.argsChars);
    }
  });

  it('keeps a model that makes 100 calls to a bounded record, with its last calls', async () => {
    const calls = Array.from({ length: 100 }, (_, index) => ({
      name: 'search',
      arguments: { pattern: `value${index} ` },
    }));
    const { kept, text } = await session([calls, [finish]], { max_calls_per_turn: 100 });
    expect(kept).toMatchObject({ turns: 2, calls: 101, ended: 'finish' });
    expect(kept.entries.length).toBeLessThanOrEqual(
      SESSION_BOUNDS.headEntries + SESSION_BOUNDS.tailEntries + 1,
    );
    expect(kept.entries.find((entry) => entry.kind === 'more')).toMatchObject({ calls: 43, turns: 0 });
    expect(kept.entries.at(-1)).toMatchObject({ tool: 'finish' });
    expect(text.length).toBeLessThan(20_000);
  });

  it('names in the progress line only the tools of the contract, never a name a model made up', async () => {
    const { outcome, kept } = await session([
      [
        { name: 'search', arguments: { pattern: 'value1' } },
        { name: '\u001b]0;pwned\u0007 rm -rf /', arguments: {} },
      ],
      [finish],
    ]);
    const line = toolsUsed({ ...outcome, session: kept }, 't');
    expect(line).toBe('3 tool calls in 2 turns (search, finish); `aifactory show t` prints them');
    const unknown = { ...outcome, calls: outcome.calls.filter((call) => call.name.includes('pwned')) };
    expect(toolsUsed({ ...unknown, session: kept }, 't')).toBe(
      '1 tool call in 2 turns; `aifactory show t` prints them',
    );
  });
});

describe('a session a budget cap ends mid-loop', () => {
  it('is kept in the record with the tokens it spent, redacted, and the task waits', async () => {
    const services = scriptedServices({ root, forge: new MemoryForge(), script: () => '' });
    services.secrets = GUARD;
    let turns = 0;
    services.callAgent = async () => {
      turns += 1;
      if (turns === 3) throw new FactoryError('budget', 'gpt: the daily cap of $1.00 would be passed');
      return {
        text: '',
        usage: { inputTokens: 700, outputTokens: 30 },
        model: 'gpt-5-mini',
        provider: 'openai',
        costUsd: 0.25,
        finishReason: 'tool_calls',
        toolCalls: [
          { id: `c${turns}`, name: 'search', arguments: { pattern: `${CANARY.GITHUB_TOKEN} ${turns}` } },
        ],
        latencyMs: 1,
      };
    };
    const record = await runTask(
      { task_id: 'capped', description: 'Change value1.', assignee: 'gpt', files: [], scope: ['src/**'] },
      services,
    );
    const [attempt] = record.attempts;
    expect(attempt).toMatchObject({
      kind: 'code',
      result: 'skipped',
      error: { class: 'budget' },
      tokens: { input: 1400, output: 60 },
      cost_usd: 0.5,
    });
    expect(attempt!.session).toMatchObject({ turns: 2, calls: 2, ended: 'stopped' });
    expect(JSON.stringify(record)).not.toContain('LEAKCANARY');
    expect(sessionLines(attempt!.session!)[1]!.text).toMatch(
      /^search \{"pattern":"\[redacted\] 1"\} → \d+ bytes$/,
    );
  });
});
