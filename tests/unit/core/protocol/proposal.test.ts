import { describe, expect, it } from 'vitest';
import { parseProposal, renderProposal } from '../../../../scripts/core/protocol/proposal.ts';
import {
  checkProposal,
  looksBinary,
  type ProposalPolicy,
} from '../../../../scripts/core/protocol/protocol.ts';

const files = (text: string) => {
  const result = parseProposal(text);
  if (!result.ok) throw new Error(result.reason);
  return result.files;
};

describe('parseProposal', () => {
  it('reads lang:path blocks between prose, each the whole file', () => {
    const text =
      'Sure!\n\n```ts:src/a.ts\nexport const a = 1;\n```\nAnd a doc:\n```md:docs/a.md\n# A\n```\nDone.';
    expect(files(text)).toEqual([
      { path: 'src/a.ts', content: 'export const a = 1;\n', lang: 'ts' },
      { path: 'docs/a.md', content: '# A\n', lang: 'md' },
    ]);
  });

  it('normalises CRLF and accepts a missing language and spaces around the info string', () => {
    expect(files('```:docs/x.md  \r\nline\r\n```\r\n')).toEqual([
      { path: 'docs/x.md', content: 'line\n', lang: null },
    ]);
    expect(files('```  ts:src/b.ts\t\nb\n```')[0]).toEqual({ path: 'src/b.ts', content: 'b\n', lang: 'ts' });
  });

  it('takes lang:path from the first word of the info string and ignores the attributes after it', () => {
    expect(files('```md:docs/x.md title="x y" data-path="src/evil.ts"\n# X\n```')).toEqual([
      { path: 'docs/x.md', content: '# X\n', lang: 'md' },
    ]);
    expect(files('~~~ts:src/a.ts\t{.numberLines}\na\n~~~')[0]?.path).toBe('src/a.ts');
  });

  it('reads a block whose first word has no colon as a code sample, whatever follows', () => {
    const text =
      '```ts title="src/evil.ts:x"\nsample\n```\n``` ts : src/spaced.ts\nsample\n```\n```txt:docs/ok.txt\nok\n```';
    expect(files(text)).toEqual([{ path: 'docs/ok.txt', content: 'ok\n', lang: 'txt' }]);
    expect(parseProposal('```ts title="a:b"\nnever closed')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('no fenced block'),
    });
  });

  it('keeps a no-break space inside the path for the path rules to judge', () => {
    expect(files('```md:docs/a\u00A0b.md\nx\n```')[0]?.path).toBe('docs/a\u00A0b.md');
  });

  it('honours longer fences and tildes when the content holds ```', () => {
    const text = '````md:docs/fence.md\nUse:\n```sh\nnpm start\n```\n````\n~~~txt:docs/t.txt\n```\n~~~';
    expect(files(text)).toEqual([
      { path: 'docs/fence.md', content: 'Use:\n```sh\nnpm start\n```\n', lang: 'md' },
      { path: 'docs/t.txt', content: '```\n', lang: 'txt' },
    ]);
  });

  it('keeps an empty file empty and ignores code samples without a path', () => {
    expect(files('```ts\nconsole.log(1)\n```\n```txt:docs/empty.txt\n```')).toEqual([
      { path: 'docs/empty.txt', content: '', lang: 'txt' },
    ]);
  });

  it('refuses the same path twice, an empty path, and an unclosed file block', () => {
    expect(parseProposal('```ts:a.ts\n1\n```\n```ts:a.ts\n2\n```')).toEqual({
      ok: false,
      reason: '"a.ts" is written by two blocks; send each file once',
    });
    expect(parseProposal('```ts:\nx\n```')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('empty path'),
    });
    expect(parseProposal('```ts:a.ts\nnever closed')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('never closed'),
    });
  });

  it('is bad output when no block names a file, even with an unclosed sample', () => {
    expect(parseProposal('I would change the code like so.')).toMatchObject({ ok: false });
    expect(parseProposal('```ts:a.ts\n1\n```\n```ts\nunclosed sample').ok).toBe(true);
    expect(parseProposal('```ts\nunclosed sample')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('no fenced block'),
    });
  });

  it('refuses to render a path or language that would not parse back as itself', () => {
    for (const file of [
      { path: 'docs/my file.md', content: '' },
      { path: 'docs/`x`.md', content: '' },
      { path: 'docs/x.md', content: '', lang: 'm d' },
      { path: 'docs/x.md', content: '', lang: 'a:b' },
    ]) {
      expect(() => renderProposal([file])).toThrow('cannot be written as the info string');
    }
  });

  it('reads an answer of many thousand blocks in linear time', () => {
    const many = Array.from({ length: 50_000 }, (_, index) => ({ path: `src/f${index}.ts`, content: 'x' }));
    const started = performance.now();
    expect(files(renderProposal(many))).toHaveLength(50_000);
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('renders files that parse back to themselves', () => {
    const input = [
      { path: 'a/b.md', content: 'x\n````\n', lang: 'md' },
      { path: 'c.txt', content: 'no newline', lang: null },
      { path: 'e.txt', content: '' },
    ];
    expect(files(renderProposal(input))).toEqual([
      { path: 'a/b.md', content: 'x\n````\n', lang: 'md' },
      { path: 'c.txt', content: 'no newline\n', lang: null },
      { path: 'e.txt', content: '', lang: null },
    ]);
  });
});

const policy: ProposalPolicy = {
  allowedDirs: ['src', 'docs'],
  declaredFiles: [],
  grants: [],
  plugins: [],
  agent: 'gpt',
  maxFiles: 2,
  maxFileBytes: 10,
  maxTotalBytes: 15,
};

describe('checkProposal', () => {
  it('accepts a proposal within every limit', () => {
    expect(checkProposal([{ path: 'src/a.ts', content: 'é\tok\n' }], policy)).toBeUndefined();
  });

  it('applies the path rules to every file first', () => {
    expect(checkProposal([{ path: 'src/../x', content: '' }], policy)?.rule).toBe('parent_segment');
    expect(checkProposal([{ path: '.github/workflows/x.yml', content: '' }], policy)?.rule).toBe(
      'github_permission',
    );
    expect(
      checkProposal([{ path: 'src/b.ts', content: '' }], { ...policy, declaredFiles: ['src/a.ts'] })?.rule,
    ).toBe('undeclared_file');
  });

  it('judges the paths against each other once each is clean', () => {
    const pair = [
      { path: 'src/Readme.md', content: '' },
      { path: 'src/README.md', content: '' },
    ];
    expect(checkProposal(pair, policy)).toMatchObject({ rule: 'name_collision', path: 'src/README.md' });
  });

  it('limits the number of files, each file size in UTF-8 bytes, and the total', () => {
    const three = ['src/a', 'src/b', 'src/c'].map((path) => ({ path, content: '' }));
    expect(checkProposal(three, policy)).toMatchObject({ rule: 'too_many_files', path: 'src/c' });
    expect(checkProposal([{ path: 'src/a', content: 'éééééé' }], policy)).toMatchObject({
      rule: 'file_too_large',
    });
    const big = [
      { path: 'src/a', content: '12345678' },
      { path: 'src/b', content: '12345678' },
    ];
    expect(checkProposal(big, policy)).toMatchObject({ rule: 'total_too_large', path: 'src/b' });
  });

  it('rejects binary content', () => {
    expect(checkProposal([{ path: 'src/a', content: 'a\0b' }], policy)?.rule).toBe('binary_content');
  });
});

describe('looksBinary', () => {
  it('tolerates a rare control character in a long text but not many', () => {
    expect(looksBinary(`${'a'.repeat(200)}\u0007`)).toBe(false);
    expect(looksBinary('\u0001\u0002abc')).toBe(true);
    expect(looksBinary('plain\r\n\ttext')).toBe(false);
  });
});
