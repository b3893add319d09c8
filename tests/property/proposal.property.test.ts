import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseProposal, renderProposal } from '../../scripts/core/proposal.ts';

const segment = fc.stringMatching(/^[a-z0-9_-]{1,8}$/);
const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `${parts.join('/')}.txt`);
// Content lines may hold fences of any length; the renderer must outgrow them.
const line = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', maxLength: 30 }),
  fc.constantFrom('', '```', '````', '~~~', '```ts:x.ts'),
);
const content = fc.array(line, { maxLength: 8 }).map((lines) => lines.join('\n').replace(/\r/g, ''));

describe('proposal format', () => {
  it('parses what it renders: any set of files comes back path for path, content for content', () => {
    const fileSet = fc.uniqueArray(fc.record({ path, content, lang: fc.constantFrom('ts', 'md', null) }), {
      selector: (file) => file.path,
      minLength: 1,
      maxLength: 5,
    });
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
});
