import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseProposal, renderProposal } from '../../scripts/core/protocol/proposal.ts';

const segment = fc.stringMatching(/^[a-z0-9_-]{1,8}$/);
const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `${parts.join('/')}.txt`);
// Content lines may hold fences of any length; the renderer must outgrow them.
const line = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', maxLength: 30 }),
  fc.constantFrom('', '```', '````', '~~~', '```ts:x.ts'),
);
const content = fc.array(line, { maxLength: 8 }).map((lines) => lines.join('\n').replace(/\r/g, ''));
/** What may follow the first word of an info string: words, quotes, colons and paths included. */
const attributes = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 }),
      fc.constantFrom('title="a:b"', 'src/evil.ts', ':docs/x.md', 'ts:src/x.ts', '{.class}'),
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((words) => words.join(' ').replace(/[`\n\r]/g, ''));
const fileSet = fc.uniqueArray(fc.record({ path, content, lang: fc.constantFrom('ts', 'md', null) }), {
  selector: (file) => file.path,
  minLength: 1,
  maxLength: 5,
});

describe('proposal format', () => {
  it('parses what it renders: any set of files comes back path for path, content for content', () => {
    fc.assert(
      fc.property(fileSet, (files) => {
        const parsed = parseProposal(`Prose first.\n\n${renderProposal(files)}\n\nProse after.`);
        expect(parsed.ok).toBe(true);
        if (!parsed.ok) return;
        const expected = files.map((file) => ({
          path: file.path,
          lang: file.lang,
          content:
            file.content === '' ? '' : file.content.endsWith('\n') ? file.content : `${file.content}\n`,
        }));
        expect(parsed.files).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('ignores whatever follows the first word of an info string', () => {
    fc.assert(
      fc.property(fileSet, attributes, (files, extra) => {
        // The opening line of each block, and only it, gets the extra words.
        const text = files.map((file) => renderProposal([file]).replace('\n', ` ${extra}\n`)).join('\n\n');
        expect(parseProposal(text)).toEqual(parseProposal(renderProposal(files)));
      }),
      { numRuns: 300, seed: 4242 },
    );
  });

  it('never reads a file from a block whose first word has no colon', () => {
    const word = fc.stringMatching(/^[a-z0-9_+-]{1,8}$/);
    fc.assert(
      fc.property(word, attributes, content, (lang, extra, body) => {
        const fence = '`'.repeat(Math.max(3, ...[...body.matchAll(/`+/g)].map((run) => run[0].length + 1)));
        const result = parseProposal(`${fence}${lang} ${extra}\n${body}\n${fence}`);
        expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('no fenced block') });
      }),
      { numRuns: 300, seed: 4242 },
    );
  });
});
