// Credential shapes secretlint misses: provider keys, private keys, URL passwords, secret-named values. Pure.
/**
 * Credential shapes that secretlint's recommended preset misses or only finds in company: the
 * providers' own key formats, private key blocks whatever their type, a lone AWS access key id,
 * a password inside a URL, and a long hex or base64 value assigned to a name that says secret.
 *
 * Every pattern is linear in the text: each repetition that can start at many places is bounded,
 * and the rest can only run once per start, so a file full of near-misses cannot stall a scan.
 */

/** A credential found in a text; the message names its kind, never its value. */
export interface CredentialMatch {
  rule: string;
  /** `[start, end)` of the match in the text. */
  start: number;
  end: number;
  message: string;
}

/**
 * The key formats of the providers and of GitHub, once for every use: the scan finds whole keys
 * (`strictKeyPattern`), and error messages lose anything that even starts like one
 * (`looseKeyPattern`). A shape is where a key starts, the characters of its body and the length
 * of a whole key's body.
 */
export interface KeyShape {
  rule: string;
  name: string;
  /** What a key starts with, as regular-expression source (the boundary before it included). */
  start: string;
  /** The characters of the body, as the inside of a character class. */
  chars: string;
  /** The body's length in a whole key, as a quantifier, and what must not follow it. */
  length: string;
}

export const KEY_SHAPES: readonly KeyShape[] = [
  {
    rule: 'openai-key',
    name: 'an OpenAI API key',
    start: String.raw`\bsk-(?:proj-|svcacct-|admin-)?`,
    chars: 'A-Za-z0-9_-',
    length: '{20,}',
  },
  { rule: 'xai-key', name: 'an xAI API key', start: String.raw`\bxai-`, chars: 'A-Za-z0-9', length: '{20,}' },
  {
    rule: 'google-key',
    name: 'a Google API key',
    start: String.raw`\bAIza`,
    chars: '0-9A-Za-z_-',
    length: String.raw`{35}\b`,
  },
  {
    rule: 'github-token',
    name: 'a GitHub token',
    start: String.raw`\bgh[pousr]_`,
    chars: 'A-Za-z0-9',
    length: '{36,}',
  },
  {
    rule: 'github-token',
    name: 'a GitHub token',
    start: String.raw`\bgithub_pat_`,
    chars: 'A-Za-z0-9_',
    length: '{22,}',
  },
  {
    rule: 'aws-access-key-id',
    name: 'an AWS access key id',
    start: '(?<![A-Za-z0-9])(?:AKIA|ASIA)',
    chars: 'A-Z0-9',
    length: '{16}(?![A-Za-z0-9])',
  },
];

/** A whole key of this shape: what the scan reports. */
export function strictKeyPattern(shape: KeyShape): RegExp {
  return new RegExp(`${shape.start}[${shape.chars}]${shape.length}`, 'g');
}

/**
 * Anything that starts like a key of any shape: its prefix and eight or more body characters,
 * masked ones (`*`) included. Looser than the scan on purpose: a message that holds a shortened,
 * masked or cut key (`sk-abc***xyz`, as servers echo them) still loses it.
 */
export function looseKeyPattern(): RegExp {
  return new RegExp(KEY_SHAPES.map((shape) => `${shape.start}[*${shape.chars}]{8,}`).join('|'), 'g');
}

const PROVIDER_KEYS = KEY_SHAPES.map((shape) => ({ ...shape, pattern: strictKeyPattern(shape) }));

/** A BEGIN line of any private key: RSA, DSA, EC, OPENSSH, ENCRYPTED, PGP (a "BLOCK") or bare. */
const PRIVATE_KEY_HEADER = /-----BEGIN (?:[A-Z0-9]{1,16} ){0,2}PRIVATE KEY(?: BLOCK)?-----/g;
/**
 * The body of a key block right after the BEGIN line: line breaks (real or escaped in a string),
 * quotes and `+` of a string split over lines, a few `Name: value` header lines, then base64.
 */
const KEY_BODY =
  /^(?:\s|\\[nr]|["'`+,])*(?:[A-Za-z-]{1,40}: [^\n\\]{0,200}(?:\s|\\[nr])+){0,8}[A-Za-z0-9+/]{40}/;
const KEY_BODY_WINDOW = 400;

/**
 * `scheme://user:password@host`; the user may be empty (`redis://:password@host`). The scheme is
 * matched looking back from `://`, so only a `:` can start a match, not every letter of the text.
 */
const URL_CREDENTIALS =
  /(?<=(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]{0,31})):\/\/[^\s:/?#@"'`<>\\]{0,256}:([^\s/?#@"'`<>\\]{1,256})@(?=[A-Za-z0-9[])/g;
/** Passwords that are placeholders or template variables, not credentials. */
const PLACEHOLDER_PASSWORD =
  /^(?:\$\{?[A-Za-z_].*|\$\(.*|\{\{.*|%\(.*|%s|<.*|\*+|x+|\.+|pass|passwd|password|pwd|secret|changeme)$/i;

/**
 * `name = value`, `name: value`, `"name": "value"`, `name := value`: a name (up to 100 characters,
 * dotted paths included), then a value of 32 or more base64 or hex characters, quoted or bare,
 * after an optional HTTP auth scheme (`Authorization: Bearer …`). The name is matched looking back
 * from the `:` or `=`, so a match can only start there, not at every word of the text.
 */
const ASSIGNMENT =
  /(?<=(?<![\w.$-])([A-Za-z_][\w.-]{0,99})["']?[ \t]{0,8})(?::=|[:=])[ \t]{0,8}(["'`]?)(?:(?:Bearer|Basic|Token) )?([A-Za-z0-9+/_-]{32,}={0,2})\2(?![\w+/=-])/g;
/** One word of a name that says it holds a secret (names are split at `_`, `-`, `.` and camelCase). */
const SECRET_WORD =
  /^(?:(?:api|access|secret|private|client|auth|refresh|session|signing|encryption|master|bearer|app|db)?(?:keys?|secrets?|tokens?|passw(?:or)?ds?|pwd|passphrase|credentials?|creds)|auth(?!ors?$)[a-z]*)$/;

/** The words of an identifier: `apiKey`, `API_KEY`, `client-secret`, `db.password`. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** Whether a value looks like key material rather than a word: it mixes letters and digits. */
function looksLikeKey(value: string): boolean {
  return /[0-9]/.test(value) && /[A-Za-z]/.test(value);
}

function assignments(text: string): CredentialMatch[] {
  const found: CredentialMatch[] = [];
  for (const match of text.matchAll(ASSIGNMENT)) {
    const name = match[1]!;
    const value = match[3]!;
    if (!nameWords(name).some((word) => SECRET_WORD.test(word)) || !looksLikeKey(value)) continue;
    // A bare value followed by `.word` is a file name or a property access, not a key.
    const after = match.index + match[0].length;
    if (match[2] === '' && /^\.\w/.test(text.slice(after, after + 2))) continue;
    const kind = /^[0-9a-fA-F]+$/.test(value) ? 'hex' : 'base64';
    found.push({
      rule: 'secret-assignment',
      start: match.index,
      end: match.index + match[0].length,
      message: `assigns a ${value.length}-character ${kind} value to "${name}", a name for a secret`,
    });
  }
  return found;
}

function privateKeys(text: string): CredentialMatch[] {
  const found: CredentialMatch[] = [];
  for (const match of text.matchAll(PRIVATE_KEY_HEADER)) {
    const end = match.index + match[0].length;
    if (!KEY_BODY.test(text.slice(end, end + KEY_BODY_WINDOW))) continue;
    found.push({
      rule: 'private-key',
      start: match.index,
      end: match.index + match[0].length,
      message: `holds a private key block (${match[0].slice(11, -5)})`,
    });
  }
  return found;
}

function urlCredentials(text: string): CredentialMatch[] {
  const found: CredentialMatch[] = [];
  for (const match of text.matchAll(URL_CREDENTIALS)) {
    if (PLACEHOLDER_PASSWORD.test(match[2]!)) continue;
    found.push({
      rule: 'url-credentials',
      start: match.index,
      end: match.index + match[0].length,
      message: `holds a password in a ${match[1]}:// URL`,
    });
  }
  return found;
}

/** Every credential of the shapes above in `text`, in order of position. */
export function findCredentials(text: string): CredentialMatch[] {
  const found: CredentialMatch[] = [];
  for (const { rule, pattern, name } of PROVIDER_KEYS) {
    for (const match of text.matchAll(pattern)) {
      const { index } = match;
      const end = index + match[0].length;
      found.push({ rule, start: index, end, message: `looks like ${name} (${match[0].slice(0, 4)}…)` });
    }
  }
  found.push(...privateKeys(text), ...urlCredentials(text), ...assignments(text));
  return found.sort((a, b) => a.start - b.start);
}
