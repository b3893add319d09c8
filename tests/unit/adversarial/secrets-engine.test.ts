/**
 * Hostile secret cases run through the whole engine (`runFactory`) on sandbox repositories: real
 * git, the local forge, replayed or loopback model answers. Each asserts what ends up on disk, in
 * the pull requests, in the progress lines and on the wire to the models.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderProposal } from '../../../scripts/core/protocol/proposal.ts';
import { RunRecordSchema } from '../../../scripts/core/record/run-record.ts';
import type { Task } from '../../../scripts/core/task/task.ts';
import { SecretGuard } from '../../../scripts/engine/guard/secret-guard.ts';
import { writeSnapshots } from '../../../scripts/engine/report/snapshot-writer.ts';
import { runFactory } from '../../../scripts/engine/run/factory.ts';
import { startLlmFixture } from '../../fixtures/llm-fixture.ts';
import { createSandboxRepo, git } from '../../fixtures/sandbox-repo.ts';
import { base64At, CANARY, CANARY_ENV, leaksIn, SLACK_TOKEN } from '../../fixtures/secret-canaries.ts';
import { silentProgress } from '../../fixtures/silent-progress.ts';

const KEY = CANARY.OPENAI_API_KEY;
const hex = (text: string) => Buffer.from(text).toString('hex');
const roots: string[] = [];

afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

/** A sandbox whose one task gets exactly these answers from the replayed coder and reviewer. */
async function sandbox(
  task: Task,
  answers: { coder: string; reviewer: object },
  options: { config?: string; extra?: Record<string, string> } = {},
) {
  const { root, replayDir } = await createSandboxRepo([{ task, iterations: [] }], options);
  roots.push(root);
  for (const [path, content] of Object.entries(options.extra ?? {})) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), content);
  }
  if (options.extra) {
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'fixtures');
  }
  const usage = { input: 10, output: 10 };
  const entries = [
    { task_id: task.task_id, role: 'coder', iteration: 1, text: answers.coder, usage },
    { task_id: task.task_id, role: 'reviewer', iteration: 1, text: JSON.stringify(answers.reviewer), usage },
  ];
  await writeFile(join(replayDir, `${task.task_id}.json`), JSON.stringify({ version: 1, entries }));
  const lines: string[] = [];
  const summary = await runFactory(
    root,
    { forge: 'local', replayDir, env: CANARY_ENV },
    {
      step: (id, message) => lines.push(`${id}: ${message}`),
      done: (record) => lines.push(JSON.stringify(record)),
      warn: (message) => lines.push(message),
    },
  );
  const record = RunRecordSchema.parse(
    JSON.parse(await readFile(join(root, 'shared/runs', `${task.task_id}.json`), 'utf8')),
  );
  return { root, summary, record, lines };
}

/** The text of every pull request the local forge keeps. */
async function pullsText(root: string): Promise<string> {
  const dir = join(root, '.git/aifactory/pulls');
  const names = await readdir(dir).catch(() => [] as string[]);
  return (await Promise.all(names.map((name) => readFile(join(dir, name), 'utf8')))).join('\n');
}

const proposal = (path: string, content: string) => `Done.\n\n${renderProposal([{ path, content }])}\n`;

describe('the engine, with the run key in its environment', () => {
  it('keeps every form of the key a reviewer quotes out of the record, the pull request, the log and the snapshots', async () => {
    // The task file's title holds the key too (in hex): it is copied into commits, the pull
    // request and the snapshots, none of which may carry it.
    const task: Task = {
      task_id: 'quote',
      title: `Rotate ${hex(KEY)}`,
      description: 'Write src/quote.txt',
      assignee: 'gpt',
      files: ['src/quote.txt'],
    };
    const { root, record, lines } = await sandbox(task, {
      coder: proposal('src/quote.txt', 'fine\n'),
      reviewer: {
        verdict: 'approve',
        summary: `Approved; by the way your key is ${base64At(KEY, '')} (base64)`,
        comments: [{ path: 'src/quote.txt', line: 1, body: `and in hex ${hex(KEY)}` }],
      },
    });
    expect(record.state).toBe('merged');
    const review = record.attempts.find((attempt) => attempt.kind === 'review');
    expect(review?.summary).toBe('Approved; by the way your key is [redacted] (base64)');
    expect(review?.comments?.[0]?.body).toBe('and in hex [redacted]');
    const stored = await readFile(join(root, 'shared/runs/quote.json'), 'utf8');
    const pulls = await pullsText(root);
    expect(pulls).toContain('[redacted]');
    // Commit messages and trailers, and the changes of every commit but the first (the task file).
    const history = git(root, 'log', '--all', '--format=%B%n%(trailers)');
    const changes = git(root, 'log', '--all', '-p', '--format=', 'HEAD~1..');
    await writeSnapshots(root, { secrets: SecretGuard.fromEnv(CANARY_ENV) });
    const snapshots = (await readdir(join(root, 'shared/status'), { recursive: true })).filter((name) =>
      name.endsWith('.json'),
    );
    const published = await Promise.all(
      snapshots.map((name) => readFile(join(root, 'shared/status', name), 'utf8')),
    );
    expect(published.join('\n')).toContain('Rotate [redacted]');
    expect(history).toContain('Rotate [redacted]');
    expect(leaksIn([stored, pulls, lines.join('\n'), history, changes, ...published].join('\n'))).toEqual([]);
  }, 60_000);

  it('rejects a proposal that puts the key in a file path, and stores the path redacted', async () => {
    const task: Task = {
      task_id: 'key-path',
      description: 'Write a file in src/',
      assignee: 'gpt',
      files: [],
    };
    const { root, record, lines } = await sandbox(task, {
      coder: proposal(`src/${KEY}.txt`, 'innocent\n'),
      reviewer: { verdict: 'approve', summary: 'ok', comments: [] },
    });
    expect(record.state).toBe('rejected');
    expect(record.rejection).toEqual({
      rule: 'secret',
      path: 'src/[redacted].txt',
      message:
        "the path: holds the value of OPENAI_API_KEY, one of this run's secrets; proposals must never contain credentials",
    });
    expect(record.attempts[0]?.files).toEqual(['src/[redacted].txt']);
    expect(git(root, 'branch', '--list', 'aifactory/key-path')).toBe('');
    const stored = await readFile(join(root, 'shared/runs/key-path.json'), 'utf8');
    expect(leaksIn([stored, lines.join('\n'), await pullsText(root)].join('\n'))).toEqual([]);
  }, 60_000);

  it('rejects a credential hidden behind a secretlint-disable comment', async () => {
    const task: Task = {
      task_id: 'hide',
      description: 'Write src/hook.ts',
      assignee: 'gpt',
      files: ['src/hook.ts'],
    };
    const content = `// the hook the app posts to\n// secretlint-disable-next-line\nexport const slackHook = '${SLACK_TOKEN}';\n`;
    const { root, record } = await sandbox(task, {
      coder: proposal('src/hook.ts', content),
      reviewer: { verdict: 'approve', summary: 'ok', comments: [] },
    });
    expect(record.state).toBe('rejected');
    expect(record.rejection?.rule).toBe('secret');
    expect(record.rejection?.path).toBe('src/hook.ts');
    expect(record.rejection?.message).toMatch(/^line 3: secretlint @secretlint\/secretlint-rule-slack: /);
    expect(git(root, 'branch', '--list', 'aifactory/hide')).toBe('');
    const stored = await readFile(join(root, 'shared/runs/hide.json'), 'utf8');
    expect(stored).not.toContain(SLACK_TOKEN.slice(5));
  }, 60_000);

  it('stores the output of a check that prints the key (base64 and hex) redacted', async () => {
    const task: Task = {
      task_id: 'print-key',
      description: 'Write src/print-key.txt',
      assignee: 'gpt',
      files: ['src/print-key.txt'],
      max_iterations: 1,
    };
    const command = "base64 fixtures/env.txt; od -An -tx1 fixtures/env.txt | tr -d ' \\n'; exit 1";
    const { root, record, lines } = await sandbox(
      task,
      {
        coder: proposal('src/print-key.txt', 'fine\n'),
        reviewer: { verdict: 'approve', summary: 'ok', comments: [] },
      },
      {
        config: `export default { checks: { command: ${JSON.stringify(command)} } };\n`,
        extra: { 'fixtures/env.txt': KEY },
      },
    );
    expect(record.state).toBe('failed');
    const checks = record.attempts.find((attempt) => attempt.kind === 'checks');
    expect(checks?.result).toBe('failed');
    expect(checks?.output).toBe('[redacted]\n[redacted]');
    const stored = await readFile(join(root, 'shared/runs/print-key.json'), 'utf8');
    expect(leaksIn([stored, lines.join('\n'), await pullsText(root)].join('\n'))).toEqual([]);
  }, 60_000);

  it('sends no form of the key to a model: task text, files, review feedback, over real HTTP', async () => {
    const fixture = await startLlmFixture();
    try {
      const task: Task = {
        task_id: 'wire',
        description: `Replace the key ${hex(KEY)} in src/notes.txt with a variable`,
        assignee: 'gpt',
        reviewer: 'gemini-pro',
        files: ['src/notes.txt'],
        max_iterations: 2,
      };
      const { root } = await createSandboxRepo([{ task, iterations: [] }]);
      roots.push(root);
      await mkdir(join(root, 'src'));
      await writeFile(join(root, 'src/notes.txt'), `key = ${base64At(KEY, 'ab')}\n`);
      git(root, 'add', '-A');
      git(root, 'commit', '-q', '-m', 'a leaked key');
      let reviews = 0;
      let proposals = 0;
      fixture.fallback = (request) => {
        if (!request.path.includes(':')) {
          // Each iteration changes something: an answer that changes nothing is sent back.
          proposals += 1;
          return { kind: 'answer', text: proposal('src/notes.txt', `key = process.env.KEY_${proposals}\n`) };
        }
        reviews += 1;
        const verdict =
          reviews === 1
            ? {
                verdict: 'request_changes',
                summary: `You left ${KEY}`,
                comments: [{ path: 'src/notes.txt', body: KEY }],
              }
            : { verdict: 'approve', summary: 'Good.', comments: [] };
        return { kind: 'answer', text: JSON.stringify(verdict) };
      };
      const env = {
        ...CANARY_ENV,
        GEMINI_API_KEY: 'AIzaSyLEAKCANARYgemini0123456789abcdefg', // aifactory:allow-secret
        OPENAI_BASE_URL: fixture.openaiUrl,
        GEMINI_BASE_URL: fixture.geminiUrl,
      };
      const summary = await runFactory(root, { forge: 'local', env }, silentProgress);
      expect(summary.records.get('wire')?.state).toBe('merged');
      const bodies = fixture.requests.map((request) => JSON.stringify(request.body));
      expect(bodies.length).toBeGreaterThanOrEqual(4);
      expect(leaksIn(bodies.join('\n'))).toEqual([]);
      // The second coder prompt carries the review, redacted; the key itself went only in the header.
      expect(bodies.filter((body) => body.includes('You left [redacted]'))).toHaveLength(1);
      expect(fixture.requests.some((request) => request.headers.authorization === `Bearer ${KEY}`)).toBe(
        true,
      );
    } finally {
      await fixture.close();
    }
  }, 60_000);
});
