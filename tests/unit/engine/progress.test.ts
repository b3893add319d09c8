import { describe, expect, it, vi } from 'vitest';
import type { RunRecord } from '../../../scripts/core/record/run-record.ts';
import { createProgress } from '../../../scripts/engine/report/progress.ts';

function stream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const fake = {
    text: '',
    isTTY,
    columns: 0,
    write(chunk: string) {
      fake.text += chunk;
      return true;
    },
  };
  return fake as unknown as NodeJS.WriteStream & { text: string };
}

const record = (id: string, state: RunRecord['state']) =>
  ({ task_id: id, state, pull_request: { number: 3, url: null }, last_error: null }) as unknown as RunRecord;

describe('progress', () => {
  it('prints plain lines per step under CI', () => {
    const out = stream(false);
    const progress = createProgress({ stream: out, ci: true });
    progress.step('a', 'iteration 1: gpt is writing');
    progress.done(record('a', 'merged'));
    expect(out.text).toBe('a: iteration 1: gpt is writing\na: merged (PR #3)\n');
  });

  it('prints one ::group:: per task under GitHub Actions, and warnings as annotations', () => {
    const out = stream(false);
    const errors = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const progress = createProgress({ stream: out, ci: true, githubActions: true });
    progress.step('a', 'writing');
    progress.step('b', 'writing');
    progress.done(record('a', 'merged'));
    progress.warn('gpt needs OPENAI_API_KEY');
    expect(out.text).toMatch(
      /^::group::a: merged \(PR #3\)\n::stop-commands::([0-9a-f]{32})\nwriting\n::\1::\n::endgroup::\n$/,
    );
    expect(errors).toHaveBeenCalledWith('::warning title=aifactory::gpt needs OPENAI_API_KEY\n');
    errors.mockRestore();
  });

  it('keeps model text from issuing workflow commands: stopped between unguessable tokens, no newline in titles or warnings', () => {
    const out = stream(false);
    const errors = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const progress = createProgress({ stream: out, ci: true, githubActions: true });
    const failed = {
      ...record('a', 'failed'),
      last_error: { class: 'bad_output', message: 'bad\n::add-mask::x' },
    } as unknown as RunRecord;
    for (const id of ['a', 'b']) {
      progress.step(id, '::error::forged annotation');
      progress.done(id === 'a' ? failed : record(id, 'merged'));
    }
    progress.warn('line one\n::set-output name=x::y');
    const lines = out.text.split('\n');
    expect(lines[0]).toBe('::group::a: failed (PR #3): bad ::add-mask::x');
    const tokens = lines.filter((line) => line.startsWith('::stop-commands::')).map((line) => line.slice(17));
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).not.toBe(tokens[1]);
    for (const token of tokens) expect(lines).toContain(`::${token}::`);
    expect(lines.indexOf('::error::forged annotation')).toBeGreaterThan(
      lines.indexOf(`::stop-commands::${tokens[0]}`),
    );
    expect(lines.indexOf('::error::forged annotation')).toBeLessThan(lines.indexOf(`::${tokens[0]}::`));
    expect(errors).toHaveBeenCalledWith('::warning title=aifactory::line one%0A::set-output name=x::y\n');
    errors.mockRestore();
  });

  it('redraws one live line per active task in a terminal, and keeps finished ones as lines', () => {
    const out = stream(true);
    const progress = createProgress({ stream: out });
    progress.step('a', 'writing');
    progress.step('b', 'reviewing');
    progress.done(record('a', 'failed'));
    progress.step('a', 'late message');
    progress.finish();
    expect(out.text).toContain('✗ a: failed (PR #3)\n');
    expect(out.text).not.toContain('late message');
    expect(out.text).toContain('\x1b[2F\x1b[J');
  });
});
