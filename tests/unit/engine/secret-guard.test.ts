import { rules as presetRules } from '@secretlint/secretlint-rule-preset-recommend';
import { describe, expect, it } from 'vitest';
import { SecretGuard } from '../../../scripts/engine/guard/secret-guard.ts';
import {
  chunksOf,
  FILTER_COMMENTS_RULE,
  findCredentialsIn,
  neutraliseDirectives,
} from '../../../scripts/engine/guard/secret-scan.ts';
import { CANARY_ENV, SLACK_TOKEN } from '../../fixtures/secret-canaries.ts';

const guard = SecretGuard.fromEnv(CANARY_ENV);

/** Ordinary code full of things that look random: none of it is a credential. */
const REALISTIC = `import { createHash, randomUUID } from 'node:crypto';

// Fixed in 3f786850e387550fdab836ed7e6dc881de23001b, see also commit a94a8fe5ccb19ba61c4c0873d391e987982fbbd3.
export const SCHEMA_ID = 'b9f6a5e2-7c1d-4f3a-9e8b-2d4c6a8e0f13';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const lockEntry = {
  resolved: 'https://registry.npmjs.org/zod/-/zod-4.6.7.tgz',
  integrity: 'sha512-Qm9vbGVhbk1hcCBpcyBhIHZlcnkgbG9uZyBpZGVudGlmaWVyIGZvciB0ZXN0aW5nIG9ubHk0MjQyNDI0Mg==',
};
export const PIXEL =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const thisIsAVeryLongIdentifierNameThatKeepsGoingForTheSakeOfTheTest0123456789 = 42;
const keyboardLayoutIdentifier = 'us-international-alt-gr-dead-keys-2024';
type Keys = keyof typeof lockEntry;
export function cacheKeyFor(input: string): string {
  return createHash('sha256').update(input).digest('hex');
}
export const tokenizerVersion = 'wordpiece-uncased-v2';
export const docs = 'Connect with https://example.com:8443/api or ssh://git@github.com/org/repo.git';
export const contact = 'maintainers@example.org';
export const placeholder = 'postgres://app:\${DB_PASSWORD}@db.internal/app';
export const header = '-----BEGIN RSA PRIVATE KEY-----';
export const passwordMinLength = 12;
export const authorHash = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
export const id = randomUUID() + String(thisIsAVeryLongIdentifierNameThatKeepsGoingForTheSakeOfTheTest0123456789);
export { keyboardLayoutIdentifier, type Keys };
`;

describe('SecretGuard on ordinary code', () => {
  it('finds nothing in a TypeScript file of hashes, UUIDs, data URIs and long identifiers', async () => {
    expect(await guard.scan([{ path: 'src/ordinary.ts', content: REALISTIC }])).toEqual([]);
    expect(guard.redact(REALISTIC)).toBe(REALISTIC);
  });

  it('guards the values of the secret-named variables only', () => {
    expect(guard.names).toEqual(['OPENAI_API_KEY', 'GITHUB_TOKEN', 'STRIPE_WEBHOOK_SECRET']);
    expect(guard.redact('/home/factory and /usr/local/bin')).toBe('/home/factory and /usr/local/bin');
  });
});

describe('secretlint as the guard runs it', () => {
  it('disables a rule the preset really has: the one that reads directives', () => {
    expect(presetRules.map((rule) => rule.meta.id)).toContain(FILTER_COMMENTS_RULE);
  });

  it('makes directives inert without moving any offset', () => {
    const text = '// secretlint-disable-next-line\n<!-- Secretlint-Enable -->';
    const inert = neutraliseDirectives(text);
    expect(inert).toBe('// secretlint_disable-next-line\n<!-- secretlint_Enable -->');
    expect(inert).toHaveLength(text.length);
  });

  it('cuts text after a newline where it can, and a long line with an overlap', () => {
    expect(chunksOf('', 10, 2)).toEqual([]);
    expect(chunksOf('aaaa\nbbbb\ncc', 10, 2)).toEqual([
      [0, 10],
      [10, 12],
    ]);
    expect(chunksOf('x'.repeat(25), 10, 2)).toEqual([
      [0, 10],
      [8, 18],
      [16, 25],
    ]);
  });

  it('names the right line of a finding in any chunk, after a byte order mark and in a long line', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `const v${i} = ${i};`);
    lines[2500] = `const slackHook = '${SLACK_TOKEN}';`;
    const found = await findCredentialsIn(`\ufeff${lines.join('\n')}`);
    expect(found.map(({ rule, start }) => [rule, start])).toEqual([
      [
        '@secretlint/secretlint-rule-slack',
        `\ufeff${lines.slice(0, 2500).join('\n')}\nconst slackHook = '`.length,
      ],
    ]);
    const long = `${'a '.repeat(40_000)}${SLACK_TOKEN}${' b'.repeat(40_000)}`;
    expect((await findCredentialsIn(long)).map((found) => found.start)).toEqual([80_000]);
  });

  it('reports one finding per line, the run secret first', async () => {
    const content = `ok\nconst k = '${CANARY_ENV.OPENAI_API_KEY}'; const s = '${SLACK_TOKEN}';\n`;
    const findings = await guard.scan([{ path: 'src/a.ts', content }]);
    expect(findings.map(({ rule, line }) => [rule, line])).toEqual([['run-secret', 2]]);
  });
});
