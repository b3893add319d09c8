// The run's own secrets, found and masked in any text, as they are or base64, hex or percent-encoded. Pure.
/**
 * The run's own secrets — the values of its keys and tokens — and every place they show in a
 * text, whatever their format and in the encodings a model or a tool would use to carry them:
 * as they are, base64 (standard and url-safe), hex and percent-encoded. Pure: the environment is
 * passed in.
 */

/** The variables the factory itself reads keys and tokens from (DESIGN.md, "Providers and keys"). */
export const KNOWN_SECRET_VARIABLES: readonly string[] = [
  'GEMINI_API_KEY',
  'XAI_API_KEY',
  'OPENAI_API_KEY',
  'LOCAL_API_KEY',
  'GITHUB_TOKEN',
  'AIFACTORY_GITHUB_TOKEN',
  'AIFACTORY_SIGNING_KEY',
];

/** Shorter values are not worth guarding: they would match ordinary words and numbers. */
export const MIN_SECRET_LENGTH = 8;

/** What replaces a secret in anything the factory stores, logs or sends. */
export const REDACTED = '[redacted]';

/** Names that say the variable holds a secret, whoever set it. */
const SECRET_NAME = /(?:_KEY|_TOKEN|_SECRET|_PASSWORD)$|API_KEY/;

/** Values above this length are not searched for percent-encoded (a key is far shorter). */
const PERCENT_MAX_LENGTH = 256;

/** One secret of the run: the variable it came from and its value. */
export interface RunSecret {
  name: string;
  value: string;
}

/** Where a secret shows in a text: `[start, end)`, the variable and the encoding it is in. */
export interface SecretHit {
  start: number;
  end: number;
  name: string;
  form: string;
}

/** Whether a variable of this name holds a secret (names are compared in upper case). */
export function isSecretName(name: string): boolean {
  const upper = name.toUpperCase();
  return KNOWN_SECRET_VARIABLES.includes(upper) || SECRET_NAME.test(upper);
}

/**
 * The secrets in an environment: the values of secret-named variables, trimmed, at least
 * MIN_SECRET_LENGTH long and not one character repeated (a mask such as "********"). A value
 * held by two variables is listed once.
 */
export function secretsFromEnv(env: Readonly<Record<string, string | undefined>>): RunSecret[] {
  const seen = new Set<string>();
  const secrets: RunSecret[] = [];
  for (const [name, raw] of Object.entries(env)) {
    const value = raw?.trim() ?? '';
    if (!isSecretName(name) || value.length < MIN_SECRET_LENGTH || seen.has(value)) continue;
    if (/^(.)\1*$/su.test(value)) continue;
    seen.add(value);
    secrets.push({ name, value });
  }
  return secrets;
}

interface Needle {
  text: string;
  name: string;
  form: string;
  /** Base64 needles are the stable middle of an encoding; the caller widens hits to whole characters. */
  base64: boolean;
}

const BASE64_CHAR = /[A-Za-z0-9+/_-]/;

function binary(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
}

/**
 * The characters of base64 that depend on `bytes` alone when they start `offset` bytes into a
 * 3-byte group. Base64 turns 3 bytes into 4 characters, so the same value encodes differently at
 * each of the three alignments inside a larger text, and the characters at its two ends mix in
 * bits of its neighbours; what lies between is the same wherever the value sits.
 */
export function stableBase64(bytes: Uint8Array, offset: 0 | 1 | 2): string {
  const padded = new Uint8Array(offset + bytes.length);
  padded.set(bytes, offset);
  const first = Math.ceil((8 * offset) / 6);
  const end = Math.floor((8 * (offset + bytes.length)) / 6);
  return btoa(binary(padded)).slice(first, end);
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

function needlesOf(secret: RunSecret): Needle[] {
  const bytes = new TextEncoder().encode(secret.value);
  const lower = hex(bytes);
  const needles: Needle[] = [
    { text: secret.value, name: secret.name, form: 'as is', base64: false },
    { text: lower, name: secret.name, form: 'hex', base64: false },
    { text: lower.toUpperCase(), name: secret.name, form: 'hex', base64: false },
  ];
  for (const offset of [0, 1, 2] as const) {
    const standard = stableBase64(bytes, offset);
    needles.push({ text: standard, name: secret.name, form: 'base64', base64: true });
    const urlSafe = standard.replaceAll('+', '-').replaceAll('/', '_');
    needles.push({ text: urlSafe, name: secret.name, form: 'base64url', base64: true });
  }
  const unique = new Map<string, Needle>();
  for (const needle of needles) if (!unique.has(needle.text)) unique.set(needle.text, needle);
  return [...unique.values()];
}

/**
 * A pattern for the value with any of its characters percent-encoded (each byte of its UTF-8 as
 * `%XX`, either case of hex digit), so `encodeURIComponent`, a fully encoded form and any mix of
 * the two all match.
 */
function percentPattern(value: string): RegExp {
  const encoder = new TextEncoder();
  const parts = Array.from(value, (char) => {
    const escapes = Array.from(encoder.encode(char), (byte) => {
      const digits = byte.toString(16).toUpperCase().padStart(2, '0');
      return `%${[...digits].map((digit) => (/[A-F]/.test(digit) ? `[${digit}${digit.toLowerCase()}]` : digit)).join('')}`;
    }).join('');
    return `(?:${char.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')}|${escapes})`;
  });
  return new RegExp(parts.join(''), 'gu');
}

/** Finds and removes the run's secrets in any text, in every encoding this module knows. */
export class SecretValues {
  readonly #needles: Needle[];
  readonly #percent: { name: string; pattern: RegExp }[];
  /** No form of any secret is shorter: a shorter text (most strings of a record) holds none. */
  readonly #shortest: number;
  /** The variables whose values are guarded, for messages (never the values). */
  readonly names: readonly string[];

  constructor(secrets: readonly RunSecret[]) {
    this.#needles = secrets.flatMap(needlesOf);
    this.#shortest = Math.min(...this.#needles.map((needle) => needle.text.length));
    this.#percent = secrets
      .filter((secret) => secret.value.length <= PERCENT_MAX_LENGTH)
      .map((secret) => ({ name: secret.name, pattern: percentPattern(secret.value) }));
    this.names = secrets.map((secret) => secret.name);
  }

  /** Whether `text` is long enough to hold any form of a secret (most strings of a record are not). */
  mayHold(text: string): boolean {
    return text.length >= this.#shortest;
  }

  /** Every place a secret shows in `text`, in order of position; base64 hits cover whole characters. */
  find(text: string): SecretHit[] {
    if (!this.mayHold(text)) return [];
    const hits: SecretHit[] = [];
    for (const needle of this.#needles) {
      for (let at = text.indexOf(needle.text); at !== -1; at = text.indexOf(needle.text, at + 1)) {
        const hit = { start: at, end: at + needle.text.length, name: needle.name, form: needle.form };
        if (needle.base64) widenBase64(text, hit);
        hits.push(hit);
      }
    }
    // Only a text with a `%` can hold a percent-encoded form; the plain form is found above.
    if (text.includes('%')) {
      for (const { name, pattern } of this.#percent) {
        for (const match of text.matchAll(pattern)) {
          if (!match[0].includes('%')) continue;
          hits.push({
            start: match.index,
            end: match.index + match[0].length,
            name,
            form: 'percent-encoded',
          });
        }
      }
    }
    return hits.sort((a, b) => a.start - b.start || b.end - a.end);
  }

  /** `text` with every secret, in every form, replaced by REDACTED. */
  redact(text: string): string {
    return maskSpans(text, this.find(text));
  }
}

/** `text` with each `[start, end)` span replaced by REDACTED; overlapping spans become one. */
export function maskSpans(text: string, spans: readonly { start: number; end: number }[]): string {
  if (spans.length === 0) return text;
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  let clean = '';
  let copied = 0;
  for (const span of sorted) {
    if (span.end <= copied) continue;
    if (span.start >= copied) clean += `${text.slice(copied, span.start)}${REDACTED}`;
    copied = span.end;
  }
  return clean + text.slice(copied);
}

/**
 * Widens a base64 hit over the one character at each end that mixes the secret's bits with its
 * neighbours', and over the padding after it, so no part of the encoding is left behind.
 */
function widenBase64(text: string, hit: SecretHit): void {
  if (hit.start > 0 && BASE64_CHAR.test(text[hit.start - 1]!)) hit.start -= 1;
  if (hit.end < text.length && BASE64_CHAR.test(text[hit.end]!)) hit.end += 1;
  for (let pad = 0; pad < 2 && text[hit.end] === '='; pad += 1) hit.end += 1;
}

/**
 * `value` (plain JSON-like data) with `map` applied to every string in it, object keys aside;
 * the properties named in `keep` are copied as they are.
 */
export function mapStrings<T>(
  value: T,
  map: (text: string) => string,
  keep: ReadonlySet<string> = new Set(),
): T {
  if (typeof value === 'string') return map(value) as T;
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, map, keep)) as T;
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value))
    copy[key] = keep.has(key) ? item : mapStrings(item, map, keep);
  return copy as T;
}
