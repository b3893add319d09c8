// The secret guard: proposals scanned for credentials, the run's secrets redacted from all it keeps or sends.
import { LineIndex } from '../../core/line-index.ts';
import { type CredentialMatch, findCredentials } from '../../core/security/credential-patterns.ts';
import { stripInvisible } from '../../core/security/sanitize.ts';
import {
  mapStrings,
  maskSpans,
  type RunSecret,
  SecretValues,
  secretsFromEnv,
} from '../../core/security/secret-values.ts';
import { findCredentialsIn } from './secret-scan.ts';

/** A credential found in a proposed file; the secret itself is never repeated. */
export interface SecretFinding {
  /** The file's path as proposed (it may itself hold the secret: show `shownPath` instead). */
  path: string;
  /** The path with whatever secret it holds replaced by `[redacted]`, safe to store and show. */
  shownPath: string;
  rule: string;
  /** 1-based line of the file's content, or 0 when the secret is in the path. */
  line: number;
  message: string;
}

/** The rule of a finding that is one of the run's own secrets. */
export const RUN_SECRET_RULE = 'run-secret';

/**
 * The run's secrets, kept out of everything the factory writes, logs or sends. Built once per run
 * from the environment: it knows the values of the run's keys and tokens (and their encodings),
 * and the shapes of credentials in general.
 *
 * - `scan` refuses proposals: any of the run's secrets in a file's content or path, and any
 *   credential secretlint or `findCredentials` recognises; directives in the text cannot stop it.
 * - `redact` and `redactDeep` replace the run's secrets, in every form, with `[redacted]` in what
 *   is stored (run records), shown (progress lines), posted (pull requests, reviews) and sent to a
 *   model (prompts).
 */
export class SecretGuard {
  readonly #values: SecretValues;

  constructor(secrets: readonly RunSecret[]) {
    this.#values = new SecretValues(secrets);
  }

  /** A guard of the secrets in `env` (see `secretsFromEnv`). */
  static fromEnv(env: Readonly<Record<string, string | undefined>>): SecretGuard {
    return new SecretGuard(secretsFromEnv(env));
  }

  /** The variables whose values are guarded. */
  get names(): readonly string[] {
    return this.#values.names;
  }

  /**
   * `text` with the run's secrets, in every form, replaced by `[redacted]`. Invisible characters
   * are removed first: a zero-width space inside a key must not hide it.
   */
  redact(text: string): string {
    return this.#values.mayHold(text) ? this.#values.redact(stripInvisible(text)) : text;
  }

  /** Plain data with `redact` applied to every string in it, except the properties named in `keep`. */
  redactDeep<T>(value: T, keep?: ReadonlySet<string>): T {
    return mapStrings(value, (text) => this.redact(text), keep);
  }

  /**
   * Every secret in `files`, by file then line, at most one per line: the run's own secrets first,
   * then what secretlint and the credential shapes find. Linear in the size of the files.
   * Invisible characters are not looked through but removed (none is a newline, so lines stay).
   */
  async scan(files: readonly { path: string; content: string }[]): Promise<SecretFinding[]> {
    const findings: SecretFinding[] = [];
    for (const file of files) {
      const path = stripInvisible(file.path);
      const inPath = [...this.#ownSecrets(path), ...findCredentials(path)];
      const shown = { path: file.path, shownPath: maskSpans(path, inPath) };
      const [first] = inPath;
      if (first) findings.push({ ...shown, rule: first.rule, line: 0, message: first.message });
      const content = stripInvisible(file.content);
      const lines = new LineIndex(content);
      const byLine = new Map<number, SecretFinding>();
      for (const match of [...this.#ownSecrets(content), ...(await findCredentialsIn(content))]) {
        const line = lines.lineOf(match.start);
        if (!byLine.has(line)) byLine.set(line, { ...shown, rule: match.rule, line, message: match.message });
      }
      findings.push(...[...byLine.values()].sort((a, b) => a.line - b.line));
    }
    return findings;
  }

  #ownSecrets(text: string): CredentialMatch[] {
    return this.#values.find(text).map((hit) => ({
      rule: RUN_SECRET_RULE,
      start: hit.start,
      end: hit.end,
      message: `holds the value of ${hit.name}${hit.form === 'as is' ? '' : `, ${hit.form}`}, one of this run's secrets`,
    }));
  }
}
