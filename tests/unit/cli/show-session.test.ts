// `aifactory show` prints a coder's or reviewer's tool session as a log under its attempt.
import { describe, expect, it } from 'vitest';
import { renderStory } from '../../../scripts/commands/show.ts';
import { sessionOf } from '../../../scripts/core/record/session-log.ts';
import { attempt, record } from '../../fixtures/run-records.ts';

const call = (turn: number, name: string, args: object, extra = {}) => {
  const text = JSON.stringify(args);
  return { turn, name, args: text, argsChars: text.length, resultBytes: 300, ...extra };
};

const session = sessionOf(
  {
    turnTokens: [
      { input: 1800, output: 40 },
      { input: 2600, output: 90 },
    ],
    calls: [
      call(1, 'search', { pattern: 'export function slugify' }),
      call(1, 'read_file', { path: 'src/demo/slugify.ts' }),
      call(
        2,
        'write_file',
        { path: 'tasks/evil.json', content: '{}' },
        {
          refused: 'control_plane',
          reason: 'refused (control_plane): "tasks/evil.json" is the control plane\u001b]0;pwned\u0007',
        },
      ),
      call(2, 'finish', { summary: 'banner() reuses slugify' }),
    ],
    ended: 'finish',
  },
  (text) => text,
);

describe('aifactory show', () => {
  const story = renderStory(
    record('banner', {
      state: 'proposed',
      iteration: 1,
      attempts: [attempt({ kind: 'code', result: 'proposed', session })],
    }),
  );

  it('prints the session under its code attempt: turns, then their calls with results', () => {
    const lines = story.split('\n');
    const at = lines.indexOf('    session:');
    expect(at).toBeGreaterThan(lines.findIndex((line) => line.startsWith('  code: proposed')));
    expect(lines.slice(at + 1, at + 4)).toEqual([
      '      turn 1: 1,800 tokens in, 40 out',
      '        search {"pattern":"export function slugify"} → 300 bytes',
      '        read_file {"path":"src/demo/slugify.ts"} → 300 bytes',
    ]);
    expect(story).toContain('        finish {"summary":"banner() reuses slugify"} → 300 bytes');
    expect(story).toContain('      the agent called finish (2 turns, 4 tool calls)');
  });

  it('shows a refused call with its rule, and never sends a terminal escape it quotes', () => {
    expect(story).toContain(
      'write_file {"path":"tasks/evil.json","content":"{}"} → refused (control_plane): "tasks/evil.json" is the control plane',
    );
    expect(story).not.toContain('\u001b');
    expect(story).toContain('\\x1b]0;pwned\\x07');
  });

  it('prints no session for an attempt that has none, as records before sessions', () => {
    const old = renderStory(
      record('old', { iteration: 1, attempts: [attempt({ kind: 'code', result: 'proposed' })] }),
    );
    expect(old).not.toContain('session:');
  });

  it("prints a reviewer's session under its review attempt, ended by the verdict", () => {
    const reviewed = sessionOf(
      {
        turnTokens: [
          { input: 900, output: 20 },
          { input: 1200, output: 60 },
        ],
        calls: [call(1, 'read_file', { path: 'src/demo/banner.ts' })],
        ended: 'verdict',
      },
      (text) => text,
    );
    const lines = renderStory(
      record('banner', {
        state: 'approved',
        iteration: 1,
        attempts: [
          attempt({ kind: 'code', result: 'proposed', session }),
          attempt({ n: 2, kind: 'review', result: 'approved', session: reviewed }),
        ],
      }),
    ).split('\n');
    const at = lines.findIndex((line) => line.startsWith('  review: approved'));
    expect(at).toBeGreaterThan(0);
    expect(lines.slice(at + 1, at + 6)).toEqual([
      '    session:',
      '      turn 1: 900 tokens in, 20 out',
      '        read_file {"path":"src/demo/banner.ts"} → 300 bytes',
      '      turn 2: 1,200 tokens in, 60 out',
      '      the reviewer answered with its verdict (2 turns, 1 tool call)',
    ]);
  });
});
