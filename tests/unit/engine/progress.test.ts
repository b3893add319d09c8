import { describe, expect, it, vi } from 'vitest';
import type { RunRecord } from '../../../scripts/core/run-record.ts';
import { createProgress } from '../../../scripts/engine/progress.ts';

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
    expect(out.text).toBe('::group::a: merged (PR #3)\nwriting\n::endgroup::\n');
    expect(errors).toHaveBeenCalledWith('::warning title=aifactory::gpt needs OPENAI_API_KEY\n');
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
