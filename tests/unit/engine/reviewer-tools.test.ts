// The reviewer reads too: read-only tools over the pull request's head, through both SDKs, under the loop's limits.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunRecord, RunRecordSchema } from '../../../scripts/core/record/run-record.ts';
import { sessionLines } from '../../../scripts/core/record/session-log.ts';
import { runFactory } from '../../../scripts/engine/run/factory.ts';
import { type Behaviour, type SeenRequest, useLlmFixture } from '../../fixtures/llm-fixture.ts';
import { createSandboxRepo, git } from '../../fixtures/sandbox-repo.ts';
import { writeFiles } from '../../fixtures/temp-repo.ts';

const fixture = useLlmFixture({ beforeAll, afterAll, beforeEach: afterEach });
const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

const APPROVE = JSON.stringify({ verdict: 'approve', summary: 'The caller still works.', comments: [] });

/** The coder's session: one edit, then finish. */
const CODER = [
  {
    name: 'edit_file',
    arguments: { path: 'src/greet.ts', old_text: '"hello"', new_text: '"hello, world"' },
  },
  { name: 'finish', arguments: { summary: 'A friendlier greeting.' } },
];

const isReviewer = (request: SeenRequest) =>
  JSON.stringify(request.body).includes('a code reviewer of AI Factory OS');

/** The model's turn in its conversation, as the request the SDK sent shows it. */
function turnOf(request: SeenRequest): number {
  const messages = (request.body.messages ?? request.body.contents) as { role: string }[];
  return messages.filter((message) => message.role === 'assistant' || message.role === 'model').length;
}

/** The tool results the SDK sent back, in order: OpenAI `tool` messages or Gemini `functionResponse` parts. */
function toolResults(request: SeenRequest): string[] {
  if (Array.isArray(request.body.messages)) {
    return (request.body.messages as { role: string; content: string }[])
      .filter((message) => message.role === 'tool')
      .map((message) => message.content);
  }
  const contents = request.body.contents as { parts: { functionResponse?: { response: unknown } }[] }[];
  return contents.flatMap((content) =>
    content.parts
      .filter((part) => part.functionResponse)
      .map((part) => JSON.stringify(part.functionResponse)),
  );
}

/** The names of the tools a request declares, for either wire format. */
function declared(request: SeenRequest): string[] {
  const body = request.body as {
    tools?: ({ function?: { name: string } } & { functionDeclarations?: { name: string }[] })[];
  };
  return (body.tools ?? []).flatMap((tool) =>
    tool.function ? [tool.function.name] : (tool.functionDeclarations ?? []).map((f) => f.name),
  );
}

function playing(reviewer: (turn: number) => Behaviour) {
  return (request: SeenRequest): Behaviour => {
    const turn = turnOf(request);
    if (isReviewer(request)) return reviewer(turn);
    const step = CODER[turn];
    if (!step) return { kind: 'answer', text: 'No coder session is scripted here.' };
    return { kind: 'tools', calls: [{ ...step, id: `coder-${turn}` }] };
  };
}

/** A repository where the changed file has a caller the pull request does not touch. */
async function repository(assignee: string, reviewer: string, config?: string): Promise<string> {
  const { root } = await createSandboxRepo([], config ? { config } : {});
  roots.push(root);
  await writeFiles(root, {
    'tasks/greet.json': `${JSON.stringify({ task_id: 'greet', description: 'Greet the world.', assignee, reviewer, scope: ['src/**'] })}\n`,
    'src/greet.ts': 'export const greeting = "hello";\n',
    'src/use.ts': "import { greeting } from './greet.ts';\nconsole.log(greeting);\n",
  });
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'the repository');
  return root;
}

/** The Gemini key of the run: a reviewer that sends it back must not see it kept. */
const GEMINI_KEY = 'gm-review-0000'; // aifactory:allow-secret

async function run(root: string): Promise<RunRecord> {
  const env = {
    OPENAI_API_KEY: 'sk-review-0000',
    OPENAI_BASE_URL: fixture().openaiUrl,
    GEMINI_API_KEY: GEMINI_KEY,
    GEMINI_BASE_URL: fixture().geminiUrl,
  };
  await runFactory(root, { forge: 'local', env }, { step: () => undefined, done: () => undefined });
  return RunRecordSchema.parse(JSON.parse(await readFile(join(root, 'shared/runs/greet.json'), 'utf8')));
}

const outcomes = (record: RunRecord) => record.attempts.map((attempt) => `${attempt.kind}:${attempt.result}`);

describe.each([
  { assignee: 'gpt', reviewer: 'gemini-pro', via: 'the Gemini fixture' },
  { assignee: 'gemini-pro', reviewer: 'gpt', via: 'the OpenAI-compatible fixture' },
])('a reviewer with tools, through $via', ({ assignee, reviewer }) => {
  it('reads the changed file at the head and its caller, is refused an edit, and approves', async () => {
    const root = await repository(assignee, reviewer);
    const before = git(root, 'rev-parse', 'main');
    fixture().fallback = playing((turn) => {
      if (turn === 0) {
        return {
          kind: 'tools',
          calls: [
            { name: 'read_file', arguments: { path: 'src/greet.ts' }, id: 'r0a' },
            { name: 'search', arguments: { pattern: 'greeting' }, id: 'r0b' },
          ],
        };
      }
      if (turn === 1) {
        const sneak = { path: 'src/use.ts', old_text: 'console.log', new_text: 'console.error' };
        return { kind: 'tools', calls: [{ name: 'edit_file', arguments: sneak, id: 'r1' }] };
      }
      return { kind: 'answer', text: APPROVE, usage: { input: 300, output: 30 } };
    });
    const record = await run(root);
    expect(outcomes(record), JSON.stringify(record.last_error)).toEqual([
      'code:proposed',
      'review:approved',
      'merge:merged',
    ]);
    const asked = fixture().requests.filter(isReviewer);
    expect(asked).toHaveLength(3);
    expect(asked.every((request) => request.problems === undefined)).toBe(true);
    // Offered the read-only tools alone, with the whole change still in its prompt.
    expect(declared(asked[0]!)).toEqual(['list_files', 'read_file', 'search']);
    expect(JSON.stringify(asked[0]!.body)).toContain('export const greeting = \\"hello, world\\";');
    const results = toolResults(asked.at(-1)!);
    expect(results[0]).toContain('hello, world');
    expect(results[1]).toContain('src/use.ts:2: console.log(greeting);');
    expect(results[2]).toContain('refused (not_offered)');
    // The merged change is the coder's edit alone.
    expect(git(root, 'diff', '--name-only', before, 'main', '--', 'src')).toBe('src/greet.ts');
    const review = record.attempts.find((attempt) => attempt.kind === 'review')!;
    expect(review.tokens?.input).toBeGreaterThanOrEqual(300);
  }, 120_000);
});

describe("a reviewer's tool session", () => {
  it('is kept under the review attempt, its calls redacted, and `show` prints it', async () => {
    const root = await repository('gpt', 'gemini-pro');
    fixture().fallback = playing((turn) => {
      if (turn === 0) {
        return {
          kind: 'tools',
          calls: [{ name: 'read_file', arguments: { path: 'src/greet.ts' }, id: 'r0' }],
        };
      }
      if (turn === 1) {
        const path = `docs/${GEMINI_KEY}.md`;
        return { kind: 'tools', calls: [{ name: 'read_file', arguments: { path }, id: 'r1' }] };
      }
      return { kind: 'answer', text: APPROVE };
    });
    const record = await run(root);
    expect(outcomes(record)).toEqual(['code:proposed', 'review:approved', 'merge:merged']);
    const review = record.attempts.find((attempt) => attempt.kind === 'review')!;
    expect(review.session).toMatchObject({ turns: 3, calls: 2, ended: 'verdict' });
    const lines = sessionLines(review.session!).map((line) => line.text);
    expect(lines[1]).toMatch(/^read_file \{"path":"src\/greet\.ts"\} → \d+ bytes$/);
    expect(lines[3]).toMatch(/^read_file \{"path":"docs\/\[redacted\]\.md"\}/);
    expect(lines.at(-1)).toBe('the reviewer answered with its verdict (3 turns, 2 tool calls)');
    expect(JSON.stringify(record)).not.toContain(GEMINI_KEY);
    // The coder's session stays its own.
    const code = record.attempts.find((attempt) => attempt.kind === 'code')!;
    expect(code.session).toMatchObject({ calls: 2, ended: 'finish' });
  }, 120_000);

  it('is kept when a limit stops the review', async () => {
    const config = 'export default { agent_loop: { max_turns: 2 } };\n';
    const root = await repository('gpt', 'gemini-pro', config);
    fixture().fallback = playing((turn) => ({
      kind: 'tools',
      calls: [{ name: 'read_file', arguments: { path: 'src/use.ts', start_line: turn + 1 }, id: `r${turn}` }],
    }));
    const record = await run(root);
    expect(outcomes(record)).toEqual(['code:proposed', 'review:error']);
    const review = record.attempts.find((attempt) => attempt.kind === 'review')!;
    expect(review.session).toMatchObject({ turns: 2, calls: 2, ended: 'stopped' });
  }, 120_000);

  it('is kept, with what it spent, when a model call fails mid-loop', async () => {
    const root = await repository('gpt', 'gemini-pro');
    fixture().fallback = playing((turn) =>
      turn === 0
        ? {
            kind: 'tools',
            calls: [{ name: 'read_file', arguments: { path: 'src/greet.ts' }, id: 'r0' }],
            usage: { input: 500, output: 20 },
          }
        : { kind: 'status', status: 401, message: 'the key was revoked' },
    );
    const record = await run(root);
    const review = record.attempts.find((attempt) => attempt.kind === 'review')!;
    expect(review).toMatchObject({ result: 'skipped', error: { class: 'auth' } });
    expect(review.tokens.input).toBeGreaterThanOrEqual(500);
    expect(review.session).toMatchObject({ turns: 1, calls: 1, ended: 'stopped' });
  }, 120_000);
});

describe('a reviewer with tools, bounded', () => {
  it('is asked once more when its last answer holds no verdict', async () => {
    const root = await repository('gpt', 'gemini-pro');
    fixture().fallback = playing((turn) =>
      turn === 0
        ? { kind: 'answer', text: 'The change looks right to me.' }
        : { kind: 'answer', text: APPROVE },
    );
    const record = await run(root);
    expect(outcomes(record)).toEqual(['code:proposed', 'review:approved', 'merge:merged']);
    const asked = fixture().requests.filter(isReviewer);
    expect(asked).toHaveLength(2);
    expect(JSON.stringify(asked[1]!.body)).toContain('That answer is no verdict');
  }, 120_000);

  it('fails the review when it answers no verdict twice', async () => {
    const root = await repository('gpt', 'gemini-pro');
    fixture().fallback = playing(() => ({ kind: 'answer', text: 'Fine by me.' }));
    const record = await run(root);
    expect(outcomes(record)).toEqual(['code:proposed', 'review:error']);
    expect(record.state).toBe('failed');
    expect(record.last_error?.message).toContain('the reviewer answered without a valid verdict');
  }, 120_000);

  it('stops a reviewer that reads past agent_loop.max_turns, and fails the review', async () => {
    const config = 'export default { agent_loop: { max_turns: 3 } };\n';
    const root = await repository('gpt', 'gemini-pro', config);
    fixture().fallback = playing((turn) => ({
      kind: 'tools',
      calls: [{ name: 'read_file', arguments: { path: 'src/use.ts', start_line: turn + 1 }, id: `r${turn}` }],
    }));
    const record = await run(root);
    expect(outcomes(record)).toEqual(['code:proposed', 'review:error']);
    expect(record.last_error?.message).toContain('agent_loop.max_turns');
    expect(fixture().requests.filter(isReviewer)).toHaveLength(3);
  }, 120_000);
});
