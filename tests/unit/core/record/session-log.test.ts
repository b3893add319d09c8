// The session a run record keeps of a coder's tool loop: bounded, redacted, and read back as a log.
import { describe, expect, it } from 'vitest';
import { AttemptSchema } from '../../../../scripts/core/record/run-record.ts';
import {
  SESSION_BOUNDS,
  type SessionCallInput,
  type SessionInput,
  SessionSchema,
  sessionLines,
  sessionOf,
  storableText,
} from '../../../../scripts/core/record/session-log.ts';
import { SecretValues } from '../../../../scripts/core/security/secret-values.ts';
import { ALL_FORMS, CANARY, CANARY_ENV } from '../../../fixtures/secret-canaries.ts';

const values = new SecretValues(
  Object.entries(CANARY_ENV)
    .filter(([name]) => name in CANARY)
    .map(([name, value]) => ({ name, value })),
);
const redact = (text: string) => values.redact(text);
const none = (text: string) => text;

const call = (extra: Partial<SessionCallInput> = {}): SessionCallInput => {
  const args = extra.args ?? '{"pattern":"slugify"}';
  return { turn: 1, name: 'search', args, argsChars: args.length, resultBytes: 120, ...extra };
};

const session = (input: Partial<SessionInput>) =>
  sessionOf({ turnTokens: [{ input: 1000, output: 50 }], calls: [], ended: 'finish', ...input }, redact);

/** Every text the record keeps, as one string, to look for what must not be there. */
const stored = (value: unknown) => JSON.stringify(value);

describe('sessionOf', () => {
  it('keeps each turn with its tokens, followed by the calls it asked for, in order', () => {
    const kept = session({
      turnTokens: [
        { input: 1000, output: 50 },
        { input: 1400, output: 80 },
      ],
      calls: [
        call(),
        call({ name: 'read_file', args: '{"path":"src/a.ts"}' }),
        call({ turn: 2, name: 'finish', args: '{"summary":"done"}', resultBytes: 4 }),
      ],
    });
    expect(SessionSchema.parse(kept)).toEqual(kept);
    expect(kept).toMatchObject({ turns: 2, calls: 3, ended: 'finish' });
    expect(
      kept.entries.map((entry) =>
        entry.kind === 'call' ? entry.tool : `turn ${entry.kind === 'turn' ? entry.turn : ''}`,
      ),
    ).toEqual(['turn 1', 'search', 'read_file', 'turn 2', 'finish']);
    expect(kept.entries[1]).toEqual({
      kind: 'call',
      tool: 'search',
      args: '{"pattern":"slugify"}',
      args_chars: 21,
      result_bytes: 120,
    });
  });

  it('redacts a key of the run in tool arguments, in every encoding, before anything is cut', () => {
    const key = CANARY.OPENAI_API_KEY;
    const base64 = Buffer.from(key).toString('base64');
    // The key straddles the cut: cut first, its first half would stay.
    const args = JSON.stringify({
      path: 'src/a.ts',
      content: `${'x'.repeat(SESSION_BOUNDS.argsChars - 40)}${key} ${base64} ${CANARY.GITHUB_TOKEN}`,
    });
    const kept = session({ calls: [call({ name: 'write_file', args })] });
    for (const form of ALL_FORMS) expect(stored(kept)).not.toContain(form);
    expect(stored(kept)).not.toContain(key.slice(0, 6));
    // What stays of the key is the start of the marker that replaced it.
    expect(stored(kept)).toContain('x[redac');
  });

  it('cuts the arguments where anything shaped like a credential starts, even a key of no one in this run', () => {
    const shaped = `ghp_${'a1B2c3D4e5'.repeat(4)}`; // aifactory:allow-secret
    const kept = sessionOf(
      {
        turnTokens: [{ input: 1, output: 1 }],
        calls: [call({ args: `{"pattern":"token ${shaped} and more"}` })],
        ended: 'finish',
      },
      none,
    );
    expect(stored(kept)).not.toContain(shaped.slice(0, 8));
    expect(kept.entries[1]).toMatchObject({ args: '{"pattern":"token [redacted]' });
  });

  it('bounds a 10 MB argument to a short view that still says how long it was', () => {
    const huge = `{"path":"src/a.ts","content":"${'A'.repeat(10 * 1024 * 1024)}"}`;
    // The loop hands over only a window of the arguments and their whole length.
    const kept = session({
      calls: [
        call({ name: 'write_file', args: huge.slice(0, SESSION_BOUNDS.argsWindow), argsChars: huge.length }),
      ],
    });
    const entry = kept.entries[1]!;
    expect(entry).toMatchObject({ kind: 'call', args_chars: huge.length });
    if (entry.kind === 'call') expect(entry.args.length).toBeLessThanOrEqual(SESSION_BOUNDS.argsChars);
    expect(stored(kept).length).toBeLessThan(1000);
    // Even handed the whole text, only the window is looked at.
    const whole = session({ calls: [call({ args: huge, argsChars: huge.length })] });
    expect(stored(whole).length).toBeLessThan(1000);
    expect(sessionLines(kept)[1]!.text).toContain(`(${huge.length.toLocaleString('en')} characters)`);
  });

  it('keeps a loop of 100 calls to its first and last entries, counting the rest', () => {
    const calls = Array.from({ length: 100 }, (_, index) =>
      call({ turn: Math.floor(index / 10) + 1, args: JSON.stringify({ pattern: `value${index}` }) }),
    );
    const turnTokens = Array.from({ length: 10 }, () => ({ input: 500, output: 20 }));
    const kept = session({ calls, turnTokens, ended: 'stopped' });
    const { headEntries, tailEntries } = SESSION_BOUNDS;
    expect(kept.entries).toHaveLength(headEntries + tailEntries + 1);
    expect(SessionSchema.safeParse(kept).success).toBe(true);
    expect(kept).toMatchObject({ turns: 10, calls: 100 });
    const more = kept.entries[headEntries]!;
    const keptCalls = kept.entries.filter((entry) => entry.kind === 'call').length;
    const keptTurns = kept.entries.filter((entry) => entry.kind === 'turn').length;
    expect(more).toEqual({ kind: 'more', calls: 100 - keptCalls, turns: 10 - keptTurns });
    // The end is kept: what the model did last is what stopped it.
    expect(kept.entries.at(-1)).toMatchObject({ args: '{"pattern":"value99"}' });
    expect(sessionLines(kept)[headEntries]!.text).toMatch(
      /^… \d+ more calls and \d+ more turns?, not kept in the record$/,
    );
  });

  it('says which rule refused a call and why, without the prefix the model read, bounded and redacted', () => {
    const reason = `refused (control_plane): "tasks/x.json" is the control plane ${CANARY.GITHUB_TOKEN} ${'y'.repeat(5000)}`;
    const kept = session({ calls: [call({ name: 'write_file', refused: 'control_plane', reason })] });
    const entry = kept.entries[1]!;
    expect(entry).toMatchObject({ refused: { rule: 'control_plane' } });
    if (entry.kind !== 'call') return;
    expect(entry.refused!.reason.startsWith('"tasks/x.json" is the control plane [redacted]')).toBe(true);
    expect(entry.refused!.reason.length).toBeLessThanOrEqual(SESSION_BOUNDS.reasonChars);
    // A refusal with no text of its own, or text that does not start as the model read it.
    const bare = session({ calls: [call({ refused: 'unknown_tool' })] }).entries[1];
    expect(bare).toMatchObject({ refused: { rule: 'unknown_tool', reason: '' } });
    const other = session({ calls: [call({ refused: 'x', reason: 'plain words' })] }).entries[1];
    expect(other).toMatchObject({ refused: { reason: 'plain words' } });
  });

  it('keeps a hostile tool name to one short line', () => {
    const kept = session({ calls: [call({ name: `evil\n\nturn 9: ${'n'.repeat(500)}` })] });
    const entry = kept.entries[1]!;
    if (entry.kind !== 'call') throw new Error('not a call');
    expect(entry.tool).not.toContain('\n');
    expect(entry.tool.length).toBeLessThanOrEqual(SESSION_BOUNDS.toolChars);
  });

  it('still counts calls of a turn it has no tokens for', () => {
    const kept = session({ turnTokens: [], calls: [call({ turn: 3 })] });
    expect(kept.entries.map((entry) => entry.kind)).toEqual(['call']);
  });
});

describe('the run record', () => {
  const attempt = {
    n: 1,
    iteration: 1,
    kind: 'code',
    agent: 'gpt',
    provider: 'openai',
    model: 'gpt-5-mini',
    started_at: '2026-01-01T00:00:00.000Z',
    finished_at: '2026-01-01T00:01:00.000Z',
    tokens: { input: 1, output: 1 },
    cost_usd: 0,
    result: 'proposed',
  };

  it('still reads an attempt written before sessions were kept', () => {
    expect(AttemptSchema.safeParse(attempt).success).toBe(true);
  });

  it('refuses a session past its bounds on read, as a damaged record', () => {
    const entries = Array.from({ length: 200 }, (_, turn) => ({
      kind: 'turn',
      turn: turn + 1,
      input: 1,
      output: 1,
    }));
    const session = { turns: 200, calls: 0, ended: 'stopped', entries };
    expect(AttemptSchema.safeParse({ ...attempt, session }).success).toBe(false);
    const long = {
      kind: 'call',
      tool: 'search',
      args: 'x'.repeat(10_000),
      args_chars: 10_000,
      result_bytes: 0,
    };
    expect(AttemptSchema.safeParse({ ...attempt, session: { ...session, entries: [long] } }).success).toBe(
      false,
    );
  });
});

describe('sessionLines', () => {
  it('reads as a log: turns with tokens, calls with results or refusals, and how it ended', () => {
    const kept = session({
      turnTokens: [
        { input: 1200, output: 40 },
        { input: 1500, output: 60 },
      ],
      calls: [
        call({ resultBytes: 1 }),
        call({
          name: 'edit_file',
          args: '{"path":"src/a.ts"}',
          refused: 'no_match',
          reason: 'refused (no_match): old_text occurs nowhere',
        }),
        call({ turn: 2, name: 'finish', args: '{"summary":"done"}', resultBytes: 20 }),
      ],
    });
    expect(sessionLines(kept)).toEqual([
      { kind: 'turn', text: 'turn 1: 1,200 tokens in, 40 out' },
      { kind: 'call', text: 'search {"pattern":"slugify"} → 1 byte' },
      {
        kind: 'call',
        text: 'edit_file {"path":"src/a.ts"} → refused (no_match): old_text occurs nowhere',
        refused: true,
      },
      { kind: 'turn', text: 'turn 2: 1,500 tokens in, 60 out' },
      { kind: 'call', text: 'finish {"summary":"done"} → 20 bytes' },
      { kind: 'end', text: 'the agent called finish (2 turns, 3 tool calls)' },
    ]);
  });

  it('says how a session ended without finish, and counts only what was left out', () => {
    const whole = session({ ended: 'proposal' });
    expect(sessionLines(whole).at(-1)!.text).toBe(
      'the agent answered with whole files instead of tools (1 turn, 0 tool calls)',
    );
    const calls = Array.from({ length: 80 }, (_, index) => call({ args: `{"n":${index}}` }));
    const stopped = session({ ended: 'stopped', calls });
    const lines = sessionLines(stopped);
    expect(lines.find((line) => line.kind === 'more')!.text).toBe('… 21 more calls, not kept in the record');
    expect(lines.at(-1)!.text).toBe(
      'a limit stopped the session; its edits were dropped (1 turn, 80 tool calls)',
    );
    const quiet = session({ turnTokens: Array.from({ length: 70 }, () => ({ input: 1, output: 1 })) });
    expect(sessionLines(quiet).find((line) => line.kind === 'more')!.text).toBe(
      '… 10 more turns, not kept in the record',
    );
  });
});

describe('storableText', () => {
  it('is one line, redacted, and never longer than asked', () => {
    expect(storableText(`a\nb ${CANARY.GITHUB_TOKEN}`, 100, redact)).toBe('a b [redacted]');
    expect(storableText('z'.repeat(50), 10, none)).toBe(`${'z'.repeat(9)}…`);
  });
});
