import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type RunRecord, RunRecordSchema } from '../../../scripts/core/record/run-record.ts';
import type { Task } from '../../../scripts/core/task/task.ts';
import { runFactory } from '../../../scripts/engine/run/factory.ts';
import { REPO_ROOT } from '../../fixtures/cli.ts';
import { type LlmFixture, type SeenRequest, startLlmFixture } from '../../fixtures/llm-fixture.ts';
import { commitAll, git, writeFiles } from '../../fixtures/temp-repo.ts';

/**
 * A scratch repository where example agents work: its files and task files committed on main, and
 * a config that registers the given plugins of this project's `examples/agents/` (by a path
 * relative to the scratch root, so each plugin loads from where it imports the real plugin API).
 */
export async function exampleRepo(input: {
  plugins: readonly string[];
  tasks: readonly Task[];
  files?: Readonly<Record<string, string>>;
  /** More config fields, as the source of an object literal's entries. */
  config?: string;
}): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'aifactory-example-'));
  const plugins = input.plugins.map((plugin) => relative(root, join(REPO_ROOT, plugin)));
  const files: Record<string, string> = {
    'README.md': '# scratch\n',
    '.gitignore': '.aifactory/\n',
    'aifactory.config.mjs': `export default {\n  plugins: ${JSON.stringify(plugins)},\n  ${input.config ?? ''}\n};\n`,
    ...input.files,
  };
  for (const task of input.tasks) files[`tasks/${task.task_id}.json`] = `${JSON.stringify(task, null, 2)}\n`;
  await writeFiles(root, files);
  commitAll(root);
  return root;
}

/** Keys and endpoints that send every provider to the loopback fixture. */
export function fixtureEnv(fixture: LlmFixture): Record<string, string> {
  return {
    OPENAI_API_KEY: 'sk-example-0000',
    XAI_API_KEY: 'xai-example-0000',
    GEMINI_API_KEY: 'gm-example-0000',
    OPENAI_BASE_URL: fixture.openaiUrl,
    XAI_BASE_URL: fixture.openaiUrl,
    GEMINI_BASE_URL: fixture.geminiUrl,
    LOCAL_BASE_URL: fixture.openaiUrl,
  };
}

/** Every string in a request body, joined: the prompt as the model received it, whatever the SDK's shape. */
export function promptOf(request: SeenRequest): string {
  const strings: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') strings.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(request.body);
  return strings.join('\n');
}

/** The model a request asked for (OpenAI-compatible body or Gemini path). */
export function modelOf(request: SeenRequest): string {
  const gemini = /\/models\/([^/:]+):/.exec(request.path);
  return gemini ? decodeURIComponent(gemini[1]!) : String(request.body.model ?? '');
}

/** What the scripted models answer, by role, from the prompt they were sent. */
export interface ModelScript {
  coder?: (call: { taskId: string; iteration: number; prompt: string }) => string;
  reviewer?: (call: { taskId: string; iteration: number; prompt: string }) => {
    verdict: 'approve' | 'request_changes';
    summary: string;
    comments: { path: string; line?: number; body: string }[];
  };
}

const APPROVE = { verdict: 'approve' as const, summary: 'Does what the task asks.', comments: [] };

/** Makes the fixture answer like models would, from the task and iteration each prompt names. */
export function scriptModels(fixture: LlmFixture, script: ModelScript): void {
  fixture.fallback = (request) => {
    const prompt = promptOf(request);
    const coder = /working on task ([\w-]+), iteration (\d+)/.exec(prompt);
    if (coder && script.coder) {
      const text = script.coder({ taskId: coder[1]!, iteration: Number(coder[2]), prompt });
      return { kind: 'answer', text };
    }
    const review = /pull request for task ([\w-]+) \(iteration (\d+)/.exec(prompt);
    if (review) {
      const call = { taskId: review[1]!, iteration: Number(review[2]), prompt };
      return { kind: 'answer', text: JSON.stringify(script.reviewer?.(call) ?? APPROVE) };
    }
    return { kind: 'status', status: 400, message: `unexpected prompt: ${prompt.slice(0, 200)}` };
  };
}

/** Runs the factory once over `root` with the local forge; returns the run's records by task id. */
export async function runOnceLocal(
  root: string,
  env: Record<string, string> = {},
): Promise<{ records: Map<string, RunRecord>; steps: string[] }> {
  const steps: string[] = [];
  const summary = await runFactory(
    root,
    { forge: 'local', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env } },
    { step: (id, message) => steps.push(`${id}: ${message}`), done: () => undefined },
  );
  if (summary.invalid.length > 0) throw new Error(`invalid tasks: ${summary.invalid.join('; ')}`);
  return { records: summary.records, steps };
}

/** The run record of a task as the factory stored it. */
export async function storedRecord(root: string, taskId: string): Promise<RunRecord> {
  return RunRecordSchema.parse(
    JSON.parse(await readFile(join(root, 'shared/runs', `${taskId}.json`), 'utf8')),
  );
}

/** A file as it is on `ref` of the scratch repository. */
export function fileAt(root: string, ref: string, path: string): string {
  return git(root, 'show', `${ref}:${path}`);
}

/** One run of the factory over a scratch repository, filled in before the tests of a file. */
export interface ExampleRun {
  fixture: LlmFixture;
  root: string;
  records: Map<string, RunRecord>;
}

/**
 * Registers hooks that start the loopback fixture, answer with `script`, build the scratch
 * repository, run the factory once over it with the local forge, and clean up afterwards.
 */
export function exampleRun(script: ModelScript, repo: Parameters<typeof exampleRepo>[0]): ExampleRun {
  const run = {} as ExampleRun;
  beforeAll(async () => {
    run.fixture = await startLlmFixture();
    scriptModels(run.fixture, script);
    run.root = await exampleRepo(repo);
    ({ records: run.records } = await runOnceLocal(run.root, fixtureEnv(run.fixture)));
  }, 120_000);
  afterAll(async () => {
    await run.fixture?.close();
    if (run.root) await rm(run.root, { recursive: true, force: true });
  });
  return run;
}
