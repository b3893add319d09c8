// From its second iteration on, a tool-using coder works on the task branch's head: its own earlier work.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RunRecordSchema } from '../../../scripts/core/record/run-record.ts';
import { runFactory } from '../../../scripts/engine/run/factory.ts';
import { type Behaviour, type SeenRequest, useLlmFixture } from '../../fixtures/llm-fixture.ts';
import { createSandboxRepo, git } from '../../fixtures/sandbox-repo.ts';
import { writeFiles } from '../../fixtures/temp-repo.ts';

const fixture = useLlmFixture({ beforeAll, afterAll, beforeEach: afterEach });

/** Each iteration's session: the calls of each turn. */
const SESSIONS: Record<number, { name: string; arguments: Record<string, unknown> }[]> = {
  1: [
    {
      name: 'edit_file',
      arguments: { path: 'src/greet.ts', old_text: '"hello"', new_text: '"hello, world"' },
    },
    { name: 'delete_file', arguments: { path: 'src/old.ts' } },
    { name: 'write_file', arguments: { path: 'src/added.ts', content: 'export const added = 1;\n' } },
    { name: 'finish', arguments: { summary: 'First take.' } },
  ],
  2: [
    { name: 'read_file', arguments: { path: 'src/greet.ts' } },
    { name: 'list_files', arguments: { path: 'src' } },
    {
      name: 'edit_file',
      arguments: { path: 'src/greet.ts', old_text: '"hello, world"', new_text: '"hello, world!"' },
    },
    { name: 'edit_file', arguments: { path: 'src/added.ts', old_text: '= 1', new_text: '= 2' } },
    { name: 'finish', arguments: { summary: 'With the reviewer’s point.' } },
  ],
};

function iterationOf(request: SeenRequest): number {
  return Number(/iteration (\d+) of at most/.exec(JSON.stringify(request.body))?.[1]);
}

function turnOf(request: SeenRequest): number {
  const messages = request.body.messages as { role: string }[];
  return messages.filter((message) => message.role === 'assistant').length;
}

const isCoder = (request: SeenRequest) => JSON.stringify(request.body).includes('"run_checks"');

function answer(request: SeenRequest): Behaviour {
  const iteration = iterationOf(request);
  if (isCoder(request)) {
    const step = SESSIONS[iteration]?.[turnOf(request)];
    if (!step) return { kind: 'answer', text: 'No session is scripted here.' };
    return { kind: 'tools', calls: [{ ...step, id: `call-${iteration}-${turnOf(request)}` }] };
  }
  const verdict = iteration === 1 ? 'request_changes' : 'approve';
  return { kind: 'answer', text: JSON.stringify({ verdict, summary: 'Say it louder.', comments: [] }) };
}

describe('the second iteration of a tool-using coder', () => {
  let root: string | undefined;
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('reads, lists and edits the branch head, not the default branch', async () => {
    const created = await createSandboxRepo([]);
    root = created.root;
    const task = {
      task_id: 'greet',
      description: 'Greet the world.',
      assignee: 'gpt',
      scope: ['src/**'],
      max_iterations: 3,
    };
    await writeFiles(root, {
      'tasks/greet.json': `${JSON.stringify(task)}\n`,
      'src/greet.ts': 'export const greeting = "hello";\n',
      'src/old.ts': 'export const old = true;\n',
    });
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'the repository');
    fixture().fallback = answer;
    const env = {
      OPENAI_API_KEY: 'sk-loop-0000',
      OPENAI_BASE_URL: fixture().openaiUrl,
      GEMINI_API_KEY: 'gm-loop-0000',
      GEMINI_BASE_URL: fixture().geminiUrl,
    };
    await runFactory(root, { forge: 'local', env }, { step: () => undefined, done: () => undefined });

    const record = RunRecordSchema.parse(
      JSON.parse(await readFile(join(root, 'shared/runs/greet.json'), 'utf8')),
    );
    expect(
      record.attempts.map((attempt) => `${attempt.kind}:${attempt.result}`),
      JSON.stringify(record.attempts.map((attempt) => attempt.error)),
    ).toEqual([
      'code:proposed',
      'review:changes_requested',
      'code:proposed',
      'review:approved',
      'merge:merged',
    ]);
    // What the second session was shown: the first iteration's file, its new file, not the deleted one.
    const second = fixture().requests.filter((request) => isCoder(request) && iterationOf(request) === 2);
    const results = (second.at(-1)!.body.messages as { role: string; content: string }[])
      .filter((message) => message.role === 'tool')
      .map((message) => message.content);
    expect(results[0]).toContain('1\texport const greeting = "hello, world";');
    expect(results[1]).toContain('src/added.ts');
    expect(results[1]).not.toContain('src/old.ts');
    expect(results[2]).not.toMatch(/refused/);
    expect(results[3]).not.toMatch(/refused/);
    expect(git(root, 'show', 'main:src/greet.ts')).toBe('export const greeting = "hello, world!";');
    expect(git(root, 'show', 'main:src/added.ts')).toBe('export const added = 2;');
    expect(git(root, 'ls-tree', '--name-only', 'main', 'src/')).not.toContain('src/old.ts');
  }, 120_000);
});
