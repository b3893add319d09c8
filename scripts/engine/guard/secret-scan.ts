// Credentials in a model's text: secretlint's recommended preset, its directives made inert, the core shapes.
import type { lintSource as LintSource } from '@secretlint/core';
import { type CredentialMatch, findCredentials } from '../../core/security/credential-patterns.ts';

/** secretlint's rule that lets `secretlint-disable…` comments in the scanned text silence it. */
export const FILTER_COMMENTS_RULE = '@secretlint/secretlint-rule-filter-comments';

/**
 * The recommended preset without the comment filter: the text we scan is a model's answer, and a
 * model must not be able to switch the scan off by writing a directive.
 */
type LintConfig = Parameters<typeof LintSource>[0]['options']['config'];

/** secretlint and its preset, loaded on the first scan: commands that never scan start faster. */
let secretlint: Promise<{ lintSource: typeof LintSource; config: LintConfig }> | undefined;

function loadSecretlint(): Promise<{ lintSource: typeof LintSource; config: LintConfig }> {
  secretlint ??= Promise.all([
    import('@secretlint/core'),
    import('@secretlint/secretlint-rule-preset-recommend'),
  ]).then(([core, preset]) => ({
    lintSource: core.lintSource,
    config: {
      rules: [
        {
          id: preset.creator.meta.id,
          rule: preset.creator,
          rules: [{ id: FILTER_COMMENTS_RULE, disabled: true }],
        },
      ],
    },
  }));
  return secretlint;
}

/**
 * secretlint keeps each finding against every other one (duplicates, ignored ranges), which is
 * quadratic in the number of findings; linting in bounded chunks keeps a file linear. A chunk ends
 * after a newline where it can; a line longer than a chunk is cut with an overlap, so a credential
 * shorter than the overlap is whole in one of the two chunks.
 */
const CHUNK_CHARS = 32 * 1024;
const CHUNK_OVERLAP = 2 * 1024;

/** `[start, end)` of the chunks `text` is linted in. */
export function chunksOf(text: string, size = CHUNK_CHARS, overlap = CHUNK_OVERLAP): [number, number][] {
  const chunks: [number, number][] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + size);
    if (end < text.length) {
      // Only the second half of the chunk is searched: a search back from its end could cross the
      // whole text for every chunk of a long line.
      const half = start + Math.floor(size / 2);
      const newline = text.slice(half, end).lastIndexOf('\n');
      if (newline !== -1) end = half + newline + 1;
    }
    chunks.push([start, end]);
    if (end >= text.length) break;
    start = text[end - 1] === '\n' ? end : Math.max(start + 1, end - overlap);
  }
  return chunks;
}

/**
 * Directives written in the text are made inert, keeping every offset: the rule that reads them is
 * disabled, and this holds even if a later secretlint honours them elsewhere.
 */
export function neutraliseDirectives(text: string): string {
  return text.replace(/secretlint-(?=disable|enable)/gi, 'secretlint_');
}

async function secretlintFindings(text: string): Promise<CredentialMatch[]> {
  const found: CredentialMatch[] = [];
  const { lintSource, config } = await loadSecretlint();
  const inert = neutraliseDirectives(text);
  for (const [start, end] of chunksOf(inert)) {
    const chunk = inert.slice(start, end);
    const result = await lintSource({
      source: { content: chunk, filePath: 'proposal', contentType: 'text' },
      options: { maskSecrets: true, noPhysicFilePath: true, config },
    });
    // secretlint drops a leading byte order mark, so its offsets start one later.
    const shift = start + (chunk.charCodeAt(0) === 0xfeff ? 1 : 0);
    for (const message of result.messages) {
      found.push({
        rule: message.ruleId,
        start: shift + message.range[0],
        end: shift + message.range[1],
        message: `secretlint ${message.ruleId}: ${message.message}`,
      });
    }
  }
  return found;
}

/**
 * Every credential in `text` that its shape gives away: secretlint's recommended preset (which
 * knows OpenAI, GitHub, AWS, Slack and many others) and the shapes of `findCredentials`.
 */
export async function findCredentialsIn(text: string): Promise<CredentialMatch[]> {
  return [...(await secretlintFindings(text)), ...findCredentials(text)];
}
