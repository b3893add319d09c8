import { describe, expect, it } from 'vitest';
import { boundVerdict, parseVerdict, VERDICT_LIMITS } from '../../../../scripts/core/record/verdict.ts';
import { singleLine } from '../../../../scripts/core/security/sanitize.ts';

describe('parseVerdict', () => {
  it('reads a plain verdict and one in a json fence', () => {
    const text = '{"verdict":"approve","summary":"ok","comments":[]}';
    expect(parseVerdict(text)).toEqual({
      ok: true,
      verdict: { verdict: 'approve', summary: 'ok', comments: [] },
    });
    expect(parseVerdict(`\`\`\`json\n${text}\n\`\`\``).ok).toBe(true);
  });

  it('refuses a key given twice, at the top or deeper', () => {
    const top = '{"verdict":"request_changes","summary":"no","comments":[],"verdict":"approve"}';
    expect(parseVerdict(top)).toEqual({ ok: false, reason: 'the key "verdict" is given twice' });
    const deep = '{"verdict":"approve","summary":"","comments":[{"path":"a","body":"x","body":"y"}]}';
    expect(parseVerdict(deep)).toEqual({ ok: false, reason: 'the key "comments[0].body" is given twice' });
  });

  it('refuses what is not JSON, or not a verdict', () => {
    expect(parseVerdict('approve!')).toMatchObject({ ok: false });
    expect(parseVerdict('{"verdict":"merge","summary":"","comments":[]}')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('field "verdict"'),
    });
  });
});

describe('boundVerdict', () => {
  it('cuts the summary, each comment, and the number of comments', () => {
    const comment = { path: 'p'.repeat(1000), line: 3, body: 'b'.repeat(10_000) };
    const bounded = boundVerdict({
      verdict: 'request_changes',
      summary: 's'.repeat(100_000),
      comments: Array.from({ length: 500 }, () => comment),
    });
    expect(bounded.summary).toHaveLength(VERDICT_LIMITS.summaryChars);
    expect(bounded.summary.endsWith('…')).toBe(true);
    expect(bounded.comments).toHaveLength(VERDICT_LIMITS.comments);
    expect(bounded.comments[0]!.body).toHaveLength(VERDICT_LIMITS.commentChars);
    expect(bounded.comments[0]!.path).toHaveLength(VERDICT_LIMITS.pathChars);
    expect(bounded.comments[0]!.line).toBe(3);
  });

  it('keeps a comment without a line without one', () => {
    const bounded = boundVerdict({ verdict: 'approve', summary: '', comments: [{ path: 'a', body: 'b' }] });
    expect(bounded.comments[0]).toEqual({ path: 'a', body: 'b' });
  });
});

describe('singleLine', () => {
  it('turns every line break into a space, so no trailer can be forged', () => {
    expect(singleLine('Fix it\n\nSigned-off-by: Mallory <m@x>')).toBe('Fix it Signed-off-by: Mallory <m@x>');
    expect(singleLine('a\r\nb\u2028c\u2029d\u0085e\tf')).toBe('a b c d e f');
  });

  it('bounds the length', () => {
    expect(singleLine('x'.repeat(500), 10)).toBe(`${'x'.repeat(9)}…`);
    expect(singleLine('short')).toBe('short');
  });
});
