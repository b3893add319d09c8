import { describe, expect, it } from 'vitest';
import { parseProposal } from '../../../../scripts/core/protocol/proposal.ts';
import {
  applyReplacements,
  isSearchReplace,
  parseReplacements,
} from '../../../../scripts/core/protocol/search-replace.ts';

const section = (search: string, replace: string) =>
  `<<<<<<< SEARCH\n${search}=======\n${replace}>>>>>>> REPLACE\n`;
const lines = (text: string) => text.replace(/\n$/, '').split('\n');

describe('parsing search/replace blocks', () => {
  it('reads a block whose body opens with SEARCH as edits of that file, beside whole files', () => {
    const answer = `Here:\n\`\`\`ts:src/big.ts\n\n${section('a\n', 'b\n')}\n${section('c\nd\n', '')}\`\`\`\n\`\`\`md:docs/a.md\n# A\n\`\`\`\n`;
    const result = parseProposal(answer);
    expect(result).toEqual({
      ok: true,
      files: [{ path: 'docs/a.md', content: '# A\n', lang: 'md' }],
      edits: [
        {
          path: 'src/big.ts',
          lang: 'ts',
          replacements: [
            { search: 'a\n', replace: 'b\n' },
            { search: 'c\nd\n', replace: '' },
          ],
        },
      ],
    });
  });

  it('takes an answer of edits alone as a proposal, with no language too', () => {
    const result = parseProposal(`\`\`\`:src/a.ts\n${section('x\n', 'y\n')}\`\`\``);
    expect(result).toMatchObject({ ok: true, files: [], edits: [{ path: 'src/a.ts', lang: null }] });
  });

  it('refuses an empty SEARCH text, naming the file', () => {
    for (const search of ['', '   \n\n']) {
      const result = parseProposal(`\`\`\`ts:src/a.ts\n${section(search, 'y\n')}\`\`\``);
      expect(result).toMatchObject({ ok: false });
      expect(result.ok || result.reason).toContain('the block for "src/a.ts": the SEARCH text');
      expect(result.ok || result.reason).toContain('is empty');
    }
  });

  it('refuses a section without its divider or its end, and text between sections', () => {
    expect(parseReplacements(lines('<<<<<<< SEARCH\na\n>>>>>>> REPLACE'))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('lacks its "=======" or ">>>>>>> REPLACE" line'),
    });
    expect(parseReplacements(lines('<<<<<<< SEARCH\na\n=======\nb'))).toMatchObject({ ok: false });
    expect(parseReplacements(lines(`${section('a\n', 'b\n')}stray words\n`))).toMatchObject({
      ok: false,
      reason: 'line 6 of the block is outside any SEARCH/REPLACE section',
    });
  });

  it('counts a refused section as no usable proposal, and the same path twice as ambiguous', () => {
    expect(parseProposal(`\`\`\`ts:a.ts\n${section('', 'x\n')}\`\`\``).ok).toBe(false);
    const twice = parseProposal(
      `\`\`\`ts:a.ts\nwhole\n\`\`\`\n\`\`\`ts:a.ts\n${section('a\n', 'b\n')}\`\`\``,
    );
    expect(twice).toMatchObject({ ok: false, reason: expect.stringContaining('written by two blocks') });
  });

  it('tells a file that merely holds conflict markers from an edit', () => {
    expect(isSearchReplace(['', '<<<<<<< SEARCH'])).toBe(true);
    expect(isSearchReplace(['text', '<<<<<<< SEARCH'])).toBe(false);
    expect(isSearchReplace(['', '  '])).toBe(false);
    expect(isSearchReplace(['<<<<<<< HEAD'])).toBe(false);
  });
});

describe('applying search/replace sections', () => {
  const file = 'one\ntwo\nthree\nfour\n';

  it('replaces each SEARCH text once, in order, each on what the sections before left', () => {
    const result = applyReplacements(file, [
      { search: 'two\n', replace: 'TWO\n' },
      { search: 'TWO\nthree\n', replace: '' },
    ]);
    expect(result).toEqual({ ok: true, content: 'one\nfour\n' });
  });

  it('refuses a SEARCH text that occurs twice, with the line of each', () => {
    const result = applyReplacements('a\nx\nb\nx\n', [{ search: 'x\n', replace: 'y\n' }]);
    expect(result).toEqual({
      ok: false,
      reason: 'the SEARCH text occurs 2 times (at lines 2, 4); quote more lines around it so it occurs once',
    });
  });

  it('bounds the lines named for a SEARCH text that occurs very often', () => {
    const result = applyReplacements('x\n'.repeat(1000), [{ search: 'x\n', replace: 'y\n' }]);
    expect(result).toEqual({
      ok: false,
      reason:
        'the SEARCH text occurs more than 5 times (at lines 1, 2, 3, 4, 5, …); quote more lines around it so it occurs once',
    });
  });

  it('refuses a SEARCH text that occurs nowhere, naming the section and the nearest line', () => {
    const result = applyReplacements(file, [
      { search: 'one\n', replace: '1\n' },
      { search: '  three\nfive\n', replace: '' },
    ]);
    expect(result).toMatchObject({ ok: false });
    expect(result.ok || result.reason).toBe(
      'SEARCH text 2 does not occur in the file; its first line is at line 3, so a later line differs. Quote the current lines exactly, or write the file whole',
    );
    const nowhere = applyReplacements(file, [{ search: 'zero\n', replace: '' }]);
    expect(nowhere.ok || nowhere.reason).toContain('no line of the file equals its first line');
  });

  it('keeps a CRLF file in CRLF, matching LF sections against it', () => {
    const result = applyReplacements('a\r\nb\r\nc\r\n', [{ search: 'b\nc\n', replace: 'B\nC\n' }]);
    expect(result).toEqual({ ok: true, content: 'a\r\nB\r\nC\r\n' });
  });

  it('matches the last line of a file without a final newline, and adds none', () => {
    expect(applyReplacements('a\nb', [{ search: 'b\n', replace: 'c\n' }])).toEqual({
      ok: true,
      content: 'a\nc',
    });
    expect(applyReplacements('a\nb', [{ search: 'a\nb\n', replace: '' }])).toEqual({ ok: true, content: '' });
    expect(applyReplacements('', [{ search: 'a\n', replace: '' }]).ok).toBe(false);
  });
});
