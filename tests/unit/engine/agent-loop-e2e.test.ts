// A task naming no files, done by a scripted tool session over real HTTP, to a reviewed and merged pull request.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunRecordSchema } from '../../../scripts/core/record/run-record.ts';
import { runFactory } from '../../../scripts/engine/run/factory.ts';
import {
  type Behaviour,
  type LlmFixture,
  type SeenRequest,
  startLlmFixture,
} from '../../fixtures/llm-fixture.ts';
import { createSandboxRepo, git } from '../../fixtures/sandbox-repo.ts';

const BUGGY = 'src/lib/parser-117.ts';

/** The session a model plays: find the bug, read it, fix it, run the checks, finish. */
const SESSION = [
  { name: 'search', arguments: { pattern: 'return -1; // BUG' } },
  { name: 'read_file', arguments: { path: BUGGY, start_line: 1, end_line: 20 } },
  {
    name: 'edit_file',
    arguments: { path: BUGGY, old_text: 'return -1; // BUG', new_text: 'return text.length;' },
  },
  { name: 'run_checks', arguments: {} },
  { name: 'finish', arguments: { summary: 'countChars returns the length of its text.' } },
];

/** The model's turn: how many answers it gave before, as the conversation the SDK sent shows. */
function turnOf(request: SeenRequest): number {
  const messages = (request.body.messages ?? request.body.contents) as { role: string }[];
  return messages.filter((message) => message.role === 'assistant' || message.role === 'model').length;
}

function answer(request: SeenRequest): Behaviour {
  if (JSON.stringify(request.body).includes('"run_checks"')) {
    const step = SESSION[turnOf(request)]!;
    return { kind: 'tools', calls: [{ ...step, id: `call-${turnOf(request)}` }] };
  }
  return {
    kind: 'answer',
    text: JSON.stringify({ verdict: 'approve', summary: 'Correct fix.', comments: [] }),
  };
}

let fixture: LlmFixture;
beforeAll(async () => {
  fixture = await startLlmFixture();
  fixture.fallback = answer;
});
afterAll(async () => {
  await fixture.close();
});

/** A scratch repository of a few hundred files, one of which holds the bug; the task names none. */
async function scratchRepo(assignee: string): Promise<string> {
  const task = {
    task_id: 'fix-count',
    description: 'countChars returns -1 instead of the length of its text. Fix it.',
    assignee,
    scope: ['src/**'],
  };
  const config = `export default { checks: { command: "! grep -rq 'return -1; // BUG' src", timeout_seconds: 60 } };\n`;
  const { root } = await createSandboxRepo([], { config });
  await writeFile(join(root, 'tasks/fix-count.json'), `${JSON.stringify(task, null, 2)}\n`);
  await mkdir(join(root, 'src/lib'), { recursive: true });
  for (let index = 0; index < 300; index += 1) {
    const body =
      index === 117
        ? 'export function countChars(text: string): number {\n  return -1; // BUG\n}\n'
        : `export function part${index}(text: string): string {\n  return text.slice(${index});\n}\n`;
    await writeFile(join(root, `src/lib/parser-${index}.ts`), body);
  }
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'the scratch repository');
  return root;
}

describe.each([
  { assignee: 'gpt', via: 'the OpenAI-compatible fixture' },
  { assignee: 'gemini-pro', via: 'the Gemini fixture' },
])('a task that names no files, done with tools through $via', ({ assignee }) => {
  let root: string;
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('searches, reads, edits, runs the checks and finishes, to a reviewed merged pull request of the edit alone', async () => {
    root = await scratchRepo(assignee);
    fixture.requests.length = 0;
    const env = {
      OPENAI_API_KEY: 'sk-loop-0000',
      XAI_API_KEY: 'xai-loop-0000',
      GEMINI_API_KEY: 'gm-loop-0000',
      OPENAI_BASE_URL: fixture.openaiUrl,
      XAI_BASE_URL: fixture.openaiUrl,
      GEMINI_BASE_URL: fixture.geminiUrl,
    };
    const before = git(root, 'rev-parse', 'main');
    const summary = await runFactory(
      root,
      { forge: 'local', env },
      { step: () => undefined, done: () => undefined },
    );
    const record = RunRecordSchema.parse(
      JSON.parse(await readFile(join(root, 'shared/runs/fix-count.json'), 'utf8')),
    );
    expect(summary.records.get('fix-count')?.state, JSON.stringify(record.last_error)).toBe('merged');
    expect(record.attempts.map((attempt) => `${attempt.kind}:${attempt.result}`)).toEqual([
      'code:proposed',
      'checks:passed',
      'review:approved',
      'merge:merged',
    ]);

    // The merged change is the one edit: one file, one line.
    const diff = git(root, 'diff', '--numstat', before, 'main', '--', 'src');
    expect(diff).toBe(`1\t1\t${BUGGY}`);
    expect(git(root, 'show', `main:${BUGGY}`)).toContain('return text.length;');

    // The coder's session: five turns, each result sent back paired with its call; checks ran.
    const coder = fixture.requests.filter((request) => JSON.stringify(request.body).includes('"run_checks"'));
    expect(coder).toHaveLength(5);
    // The first prompt maps the repository, the buggy file near the top with its symbol.
    const first = JSON.stringify(coder[0]!.body);
    expect(first).toContain('## Repository map');
    expect(first).toContain('parser-117.ts (73 B): function countChars');
    expect(fixture.requests.every((request) => request.problems === undefined)).toBe(true);
    const last = JSON.stringify(coder.at(-1)!.body);
    expect(last).toContain(`${BUGGY}:2:`);
    expect(last).toContain('exit code 0 (passed)');
    // The run record keeps the session: every call in order, with the tokens of each turn.
    const session = record.attempts[0]!.session!;
    expect(session).toMatchObject({ turns: 5, calls: 5, ended: 'finish' });
    expect(session.entries.map((entry) => (entry.kind === 'call' ? entry.tool : entry.kind))).toEqual([
      'turn',
      'search',
      'turn',
      'read_file',
      'turn',
      'edit_file',
      'turn',
      'run_checks',
      'turn',
      'finish',
    ]);
    // The reviewer judged the pull request, whose body carries the summary.
    expect(fixture.requests.length).toBe(6);
  }, 120_000);
});
