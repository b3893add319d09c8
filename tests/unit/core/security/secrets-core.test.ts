import { describe, expect, it } from 'vitest';
import { LineIndex } from '../../../../scripts/core/line-index.ts';
import {
  findCredentials,
  KEY_SHAPES,
  looseKeyPattern,
  nameWords,
  strictKeyPattern,
} from '../../../../scripts/core/security/credential-patterns.ts';
import {
  isSecretName,
  mapStrings,
  REDACTED,
  SecretValues,
  secretsFromEnv,
  stableBase64,
} from '../../../../scripts/core/security/secret-values.ts';

const KEY = 'sk-proj-Canary0123456789abcdefXYZ'; // aifactory:allow-secret
const utf8 = (text: string) => new TextEncoder().encode(text);
const b64 = (text: string) => Buffer.from(text).toString('base64');
const values = new SecretValues([{ name: 'OPENAI_API_KEY', value: KEY }]);

describe('LineIndex', () => {
  it('names the 1-based line of any offset, newlines included', () => {
    const lines = new LineIndex('ab\ncd\n\nef');
    expect([0, 1, 2, 3, 5, 6, 7, 8, 99].map((offset) => lines.lineOf(offset))).toEqual([
      1, 1, 1, 2, 2, 3, 4, 4, 4,
    ]);
    expect(new LineIndex('').lineOf(0)).toBe(1);
  });
});

describe('secretsFromEnv', () => {
  it('takes the known keys and any variable whose name says secret, in any case', () => {
    const env = {
      OPENAI_API_KEY: 'sk-abcdefgh1',
      GITHUB_TOKEN: 'ghs_abcdefgh2',
      AIFACTORY_GITHUB_TOKEN: 'ghp_abcdefgh3',
      LOCAL_API_KEY: 'local-key-4',
      DEPLOY_KEY: 'deploy-key-5',
      NPM_TOKEN: 'npm_token_6',
      CLIENT_SECRET: 'client-sec-7',
      DB_PASSWORD: 'hunter2-hunter2',
      MY_API_KEY_V2: 'api-key-v2-9',
      slack_token: 'xoxb-lower-10', // aifactory:allow-secret
      HOME: '/home/someone/x',
      KEYBOARD: 'us-international',
    };
    expect(secretsFromEnv(env).map((secret) => secret.name)).toEqual([
      'OPENAI_API_KEY',
      'GITHUB_TOKEN',
      'AIFACTORY_GITHUB_TOKEN',
      'LOCAL_API_KEY',
      'DEPLOY_KEY',
      'NPM_TOKEN',
      'CLIENT_SECRET',
      'DB_PASSWORD',
      'MY_API_KEY_V2',
      'slack_token',
    ]);
    expect(isSecretName('xai_api_key')).toBe(true);
    expect(isSecretName('PATH')).toBe(false);
  });

  it('skips short values, masks, unset variables and a value held twice', () => {
    const env = {
      A_TOKEN: 'short',
      B_TOKEN: '  1234567  ',
      C_TOKEN: '********',
      D_TOKEN: undefined,
      GITHUB_TOKEN: '  same-value-123 ',
      AIFACTORY_GITHUB_TOKEN: 'same-value-123',
    };
    expect(secretsFromEnv(env)).toEqual([{ name: 'GITHUB_TOKEN', value: 'same-value-123' }]);
  });
});

describe('stableBase64', () => {
  it('is part of the encoding of the value at its alignment, whatever surrounds it', () => {
    for (const offset of [0, 1, 2] as const) {
      const middle = stableBase64(utf8(KEY), offset);
      expect(middle.length).toBeGreaterThanOrEqual(Math.floor((KEY.length * 8) / 6) - 2);
      for (const before of ['', 'abc', 'abcdef']) {
        for (const after of ['', 'x', 'xy', 'xyz']) {
          expect(b64(`${'#'.repeat(offset)}${before}${KEY}${after}`)).toContain(middle);
        }
      }
    }
  });
});

describe('SecretValues', () => {
  const forms: [string, string][] = [
    ['as is', `token ${KEY} end`],
    ['hex', `hex ${Buffer.from(KEY).toString('hex')} end`],
    ['HEX', `hex ${Buffer.from(KEY).toString('hex').toUpperCase()} end`],
    ['base64, padded', `b64 ${b64(KEY)} end`],
    ['base64 at offset 1', `b64 ${b64(`a${KEY}`)} end`],
    ['base64 at offset 2', `b64 ${b64(`ab${KEY}zz`)} end`],
    ['base64url unpadded', `b64 ${Buffer.from(`?>${KEY}`).toString('base64url')} end`],
    ['percent, every byte, lower', `q=${[...KEY].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('')}&`],
    [
      'percent, every byte, upper',
      `q=${[...KEY].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join('')}&`,
    ],
    ['percent, mixed', `q=${KEY.replace('-', '%2D').replace('C', '%43')}&`],
  ];

  it.each(forms)('finds and redacts the value %s', (_form, text) => {
    expect(values.find(text).length).toBeGreaterThan(0);
    const clean = values.redact(text);
    expect(clean).toContain(REDACTED);
    expect(clean).not.toMatch(/Canary|Q2FuYXJ5|43616e617279/i);
    expect(clean.startsWith(text.slice(0, 2))).toBe(true);
    expect(clean.endsWith(text.slice(-1))).toBe(true);
  });

  it('redacts a whole base64 encoding, its edge characters and padding included', () => {
    expect(values.redact(b64(KEY))).toBe(REDACTED);
    expect(values.redact(`${b64(`a${KEY}`)}.`)).toMatch(/^Y?\[redacted\]\.$/);
  });

  it('names the variable and the form, in order of position', () => {
    const text = `${b64(KEY)} then ${KEY}`;
    expect(values.find(text).map((hit) => [hit.name, hit.form])).toEqual([
      ['OPENAI_API_KEY', 'base64'],
      ['OPENAI_API_KEY', 'as is'],
    ]);
  });

  it('leaves text without a secret as it is, and merges overlapping hits', () => {
    expect(values.redact('nothing here, 100% sure')).toBe('nothing here, 100% sure');
    expect(values.redact(`${KEY}${KEY}`)).toBe(`${REDACTED}${REDACTED}`);
    const twice = new SecretValues([
      { name: 'A_KEY', value: 'abcdefgh-123' },
      { name: 'B_KEY', value: 'efgh-123-xyz' },
    ]);
    expect(twice.redact('<abcdefgh-123-xyz>')).toBe(`<${REDACTED}>`);
    const nested = new SecretValues([
      { name: 'SHORT_KEY', value: 'abcdefgh-123' },
      { name: 'LONG_KEY', value: 'abcdefgh-123-xyz' },
    ]);
    expect(nested.redact('(abcdefgh-123-xyz) 100% (abcdefgh-123)')).toBe(`(${REDACTED}) 100% (${REDACTED})`);
  });

  it('covers values whose encodings coincide, and non-ASCII values percent-encoded', () => {
    const digits = new SecretValues([{ name: 'PIN_PASSWORD', value: '12345678' }]);
    expect(digits.redact('pin 3132333435363738 and 12345678')).toBe(`pin ${REDACTED} and ${REDACTED}`);
    const accented = new SecretValues([{ name: 'X_SECRET', value: 'pässwörd-1' }]);
    expect(accented.redact(`u=${encodeURIComponent('pässwörd-1')}`)).toBe(`u=${REDACTED}`);
  });

  it('does not look for percent-encoding of a long value (a key is far shorter)', () => {
    const long = 'L0ng-'.repeat(60);
    const guard = new SecretValues([{ name: 'PEM_KEY', value: long }]);
    expect(guard.redact(encodeURIComponent(long).replaceAll('-', '%2D'))).not.toContain(REDACTED);
    expect(guard.redact(`%${long}`)).toBe(`%${REDACTED}`);
  });
});

describe('mapStrings', () => {
  it('maps every string of plain data, and keeps the named properties', () => {
    const data = { a: 'x', b: ['x', 1, null, { c: 'x', keep: 'x' }], d: true, keep: ['x'] };
    const upper = mapStrings(data, (text) => text.toUpperCase(), new Set(['keep']));
    expect(upper).toEqual({ a: 'X', b: ['X', 1, null, { c: 'X', keep: 'x' }], d: true, keep: ['x'] });
    expect(mapStrings('y', (text) => `${text}!`)).toBe('y!');
  });
});

describe('findCredentials', () => {
  const rules = (text: string) => findCredentials(text).map((found) => found.rule);
  const body = 'MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oLSGLgrbKgVeoAoGCCqGSM49';

  it.each(['EC', 'RSA', 'DSA', 'OPENSSH', 'ENCRYPTED'])('finds a %s private key block', (kind) => {
    expect(
      rules(`x\n-----BEGIN ${kind} PRIVATE KEY-----\n${body}\n-----END ${kind} PRIVATE KEY-----\n`),
    ).toEqual(['private-key']);
  });

  it('finds a PGP key block with its headers, a bare one, and one in an escaped string', () => {
    expect(rules(`-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: 1\n\n${body}\n`)).toEqual(['private-key']);
    expect(rules(`-----BEGIN PRIVATE KEY-----\n${body}`)).toEqual(['private-key']);
    expect(rules(`const pem = "-----BEGIN EC PRIVATE KEY-----\\n${body}\\n";`)).toEqual(['private-key']);
  });

  it('finds a key block written as a string split over lines', () => {
    expect(rules(`const pem =\n  '-----BEGIN RSA PRIVATE KEY-----\\n' +\n  '${body}\\n' +`)).toEqual([
      'private-key',
    ]);
  });

  it('lets code that only names the header pass, even with a hash a few lines below', () => {
    expect(rules("if (line === '-----BEGIN RSA PRIVATE KEY-----') return true;")).toEqual([]);
    const below = `const header = '-----BEGIN RSA PRIVATE KEY-----';\nconst sum = '${'9f86d081'.repeat(8)}';`;
    expect(rules(below)).toEqual([]);
  });

  it('finds a lone AWS access key id, and the provider key formats', () => {
    expect(rules('const id = "AKIAIOSFODNN7EXAMPLE";')).toEqual(['aws-access-key-id']); // aifactory:allow-secret
    expect(rules('ASIAY34FZKBOKMUTVV7A')).toEqual(['aws-access-key-id']); // aifactory:allow-secret
    expect(rules('XAKIAIOSFODNN7EXAMPLE AKIAIOSFODNN7EXAMPLEX')).toEqual([]);
    expect(rules(`sk-proj-${'a1'.repeat(12)} xai-${'b2'.repeat(12)}`)).toEqual(['openai-key', 'xai-key']);
    expect(findCredentials(`k=sk-proj-${'a1'.repeat(12)}`)[0]?.message).toBe(
      'looks like an OpenAI API key (sk-p…)',
    );
  });

  it('finds a password in a URL, not a bare host, a user alone, or a placeholder', () => {
    expect(rules('postgres://admin:S3cretPw@db.internal:5432/app')).toEqual(['url-credentials']); // aifactory:allow-secret
    expect(rules('redis://:hunter22@cache:6379')).toEqual(['url-credentials']); // aifactory:allow-secret
    expect(rules('git+https://bot:ghx0123@github.com/org/repo.git')).toEqual(['url-credentials']); // aifactory:allow-secret
    for (const fine of [
      'https://example.com',
      'https://example.com:8443/path?q=1',
      'user@host',
      'ssh://git@github.com/org/repo',
      'git@github.com:org/repo.git',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell-style placeholder, on purpose
      'postgres://user:${DB_PASSWORD}@db/app',
      'postgres://user:password@localhost/app',
      'amqp://guest:<password>@rabbit',
      'mysql://root:****@db',
    ]) {
      expect(rules(fine), fine).toEqual([]);
    }
    const url = 'postgres://a:S3cretPw@db'; // aifactory:allow-secret
    expect(findCredentials(url)[0]?.message).toBe('holds a password in a postgres:// URL');
  });

  it('finds a long hex or base64 value assigned to a secret name, quoted or bare', () => {
    const hex = '9f86d081884c7d659a2feaa0c55ad015';
    const base64 = 'dGhpcyBpcyBhIHNlY3JldCBrZXkgMTIzNDU2Nzg5MA==';
    for (const text of [
      `API_KEY=${hex}`,
      `const apiKey = '${hex}';`,
      `"client_secret": "${base64}"`,
      `password: ${base64}`,
      `db.passwd := "${hex}"`,
      `authToken = \`${base64}\``,
      `SECRETKEY=${hex}`,
      `headers.Authorization = 'Bearer ${base64}'`,
      `private-key: ${base64}`,
      `credentials = "${hex}"`,
    ]) {
      expect(rules(text), text).toEqual(['secret-assignment']);
    }
    expect(findCredentials(`token = "${hex}"`)[0]?.message).toBe(
      'assigns a 32-character hex value to "token", a name for a secret',
    );
    expect(findCredentials(`token = "${base64}"`)[0]?.message).toContain('base64 value');
  });

  it('lets hashes under other names, short values, words and mismatched quotes pass', () => {
    for (const text of [
      `integrity: "sha512-${'A1b2C3d4'.repeat(8)}"`,
      "commit = '3f786850e387550fdab836ed7e6dc881de23001b'",
      `monkey = "${'ab12'.repeat(10)}"`,
      `author: "${'ab12'.repeat(10)}"`,
      `api_key = "${'ab12'.repeat(4)}"`,
      `tokenType = 'AuthorizationCodeGrantTypeIdentifier'`,
      `token = "${'ab12'.repeat(10)}'`,
      `token = ${'ab12'.repeat(10)}.json`,
    ]) {
      expect(rules(text), text).toEqual([]);
    }
  });

  it('splits names into words at underscores, dashes, dots and camelCase', () => {
    expect(nameWords('awsSecretAccessKey')).toEqual(['aws', 'secret', 'access', 'key']);
    expect(nameWords('OAUTHToken.value')).toEqual(['oauth', 'token', 'value']);
    expect(nameWords('__x-y__')).toEqual(['x', 'y']);
  });
});

describe('one set of key shapes, strict for the scan and loose for messages', () => {
  // A whole key of each shape, and the same key masked and cut the way servers echo them.
  const whole: Record<string, string> = {
    'openai-key': `sk-proj-${'a1'.repeat(12)}`,
    'xai-key': `xai-${'b2'.repeat(12)}`,
    'google-key': `AIza${'c3'.repeat(17)}d`,
    'github-token': `ghp_${'e4'.repeat(18)}`,
    'aws-access-key-id': 'AKIA2E4G6J8L0N2Q4S6U', // aifactory:allow-secret
  };
  const masked = (key: string) => `${key.slice(0, -12)}****${key.slice(-3)}`.slice(0, 16);

  it('every shape has a whole key the scan finds, under its rule', () => {
    for (const shape of KEY_SHAPES.filter((candidate) => !candidate.start.includes('github_pat'))) {
      expect(whole[shape.rule]?.match(strictKeyPattern(shape))).toEqual([whole[shape.rule]]);
    }
    expect(findCredentials(`github_pat_${'f5'.repeat(11)}`).map((found) => found.rule)).toEqual([
      'github-token',
    ]);
  });

  it.each(Object.entries(whole))(
    'a masked, cut %s is not a key to the scan but is one to redaction',
    (_, key) => {
      const text = `the key ${masked(key)} was refused`;
      expect(findCredentials(text)).toEqual([]);
      expect(text.replace(looseKeyPattern(), '[redacted]')).toBe('the key [redacted] was refused');
    },
  );

  it('leaves words that only share a prefix alone', () => {
    const text = 'ask-me, xai-5, AIzaX and ghp_short are not keys';
    expect(text.replace(looseKeyPattern(), '[redacted]')).toBe(text);
  });
});
