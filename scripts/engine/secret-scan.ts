import { lintSource } from '@secretlint/core';
import { creator as recommended } from '@secretlint/secretlint-rule-preset-recommend';

/** A credential found in a proposed file; the secret itself is never repeated. */
export interface SecretFinding {
  path: string;
  rule: string;
  line: number;
  message: string;
}

/**
 * The providers' own key formats, checked besides secretlint's recommended preset (which knows
 * OpenAI, GitHub and many others) so that every key this factory handles is caught.
 */
const PROVIDER_KEYS: readonly { rule: string; pattern: RegExp; name: string }[] = [
  {
    rule: 'openai-key',
    pattern: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g,
    name: 'an OpenAI API key',
  },
  { rule: 'xai-key', pattern: /\bxai-[A-Za-z0-9]{20,}/g, name: 'an xAI API key' },
  { rule: 'google-key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g, name: 'a Google API key' },
  {
    rule: 'github-token',
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})/g,
    name: 'a GitHub token',
  },
];

function lineAt(content: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i += 1) if (content.charCodeAt(i) === 10) line += 1;
  return line;
}

/** Every secret in `files`, by secretlint (recommended preset) and the provider key formats. */
export async function findSecrets(
  files: readonly { path: string; content: string }[],
): Promise<SecretFinding[]> {
  const findings: SecretFinding[] = [];
  for (const file of files) {
    const seenLines = new Set<number>();
    const result = await lintSource({
      source: { content: file.content, filePath: file.path, contentType: 'text' },
      options: {
        maskSecrets: true,
        noPhysicFilePath: true,
        config: { rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: recommended }] },
      },
    });
    for (const message of result.messages) {
      seenLines.add(message.loc.start.line);
      findings.push({
        path: file.path,
        rule: message.ruleId,
        line: message.loc.start.line,
        message: `secretlint ${message.ruleId}: ${message.message}`,
      });
    }
    for (const { rule, pattern, name } of PROVIDER_KEYS) {
      for (const match of file.content.matchAll(pattern)) {
        const line = lineAt(file.content, match.index);
        if (seenLines.has(line)) continue;
        seenLines.add(line);
        findings.push({
          path: file.path,
          rule,
          line,
          message: `looks like ${name} (${match[0].slice(0, 4)}…)`,
        });
      }
    }
  }
  return findings;
}
