/** A scratch repository full of traps for the agent-tool tests, and a toolbox over it. */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BUILTIN_AGENTS } from '../../../../scripts/agents/registry.ts';
import { ConfigSchema } from '../../../../scripts/core/config.ts';
import type { Task } from '../../../../scripts/core/task/task.ts';
import { SecretGuard } from '../../../../scripts/engine/guard/secret-guard.ts';
import { proposalPolicy } from '../../../../scripts/engine/guard/vet.ts';
import type { ChecksRunner } from '../../../../scripts/engine/tools/run-checks.ts';
import {
  createToolbox,
  type ToolLimits,
  type ToolName,
} from '../../../../scripts/engine/tools/tool-table.ts';
import { type BranchFiles, WorkingCopy } from '../../../../scripts/engine/tools/working-copy.ts';
import { CANARY_ENV } from '../../../fixtures/secret-canaries.ts';

/** A key in OpenAI's shape that is none of the run's secrets: found by its shape alone. */
export const SHAPED_KEY = `sk-proj-${'Q7w8E9r0T1'.repeat(4)}`; // aifactory:allow-secret

export const APP_TS =
  Array.from({ length: 12 }, (_, index) => `export const value${index + 1} = ${index + 1};`).join('\n') +
  '\n';

/** Tracked files of the scratch repository. */
const TRACKED: Record<string, string> = {
  'README.md': '# scratch\n',
  '.gitignore': '.env\nbuild/\n*.log\n',
  'src/app.ts': APP_TS,
  'src/dup.ts': 'const a = 1;\nlet b = 2;\nconst a = 1;\n',
  'src/crlf.txt': 'first line\r\nsecond line\r\nthird line\r\n',
  'src/pipe': 'will become a FIFO\n',
  'docs/guide.md': '# Guide\n\nUse the app.\n',
  'tests/app.test.ts': "import { value1 } from '../src/app.ts';\n",
  'tasks/t1.json': '{"task_id":"t1"}\n',
  'scripts/run.ts': 'export {};\n',
  '.github/workflows/ci.yml': 'on: push\n',
};

/** A scratch repository: tracked files, ignored ones holding a key, links out, a FIFO, big files. */
export async function createTrapRepo(): Promise<{ root: string; outside: string }> {
  const base = await mkdtemp(join(tmpdir(), 'aifactory-tools-'));
  const root = join(base, 'repo');
  const outside = join(base, 'outside.txt');
  await writeFile(outside, 'OUTSIDE-SECRET\n');
  for (const [path, content] of Object.entries(TRACKED)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  await symlink('/etc/passwd', join(root, 'src/link-passwd'));
  await symlink('/etc', join(root, 'src/etc'));
  await symlink('../src', join(root, 'docs/alias'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'add', '-A');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-q', '-m', 'initial');
  // Untracked: ignored files that hold a key, and files that are not ignored.
  await writeFile(join(root, '.env'), `OPENAI_API_KEY=${SHAPED_KEY}\n`);
  await mkdir(join(root, 'build'));
  await writeFile(join(root, 'build/out.js'), `const key = "${SHAPED_KEY}";\n`);
  await writeFile(join(root, 'src/debug.log'), 'ignored log\n');
  await writeFile(join(root, 'src/untracked.ts'), 'export const fresh = true;\n');
  await writeFile(join(root, 'src/logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d, 1, 2, 3]));
  await writeFile(join(root, 'src/backtrack.txt'), `${'a'.repeat(5000)}!\n`);
  // 2 GB, sparse: text at the start, then a hole of zeros that must never be read whole.
  await writeFile(join(root, 'src/huge.txt'), 'start of a huge file\n');
  await truncate(join(root, 'src/huge.txt'), 2 * 1024 ** 3);
  // 3 MB of numbered lines: text too large to read whole, read by range.
  await writeFile(
    join(root, 'src/large.txt'),
    Array.from({ length: 150_000 }, (_, index) => `line ${index + 1} ${'x'.repeat(12)}`).join('\n'),
  );
  return { root, outside };
}

/** Turns the tracked `src/pipe` into a FIFO: listed by git, but not a file to open. */
export function makeFifo(root: string): void {
  execFileSync('sh', ['-c', 'rm src/pipe && mkfifo src/pipe'], { cwd: root });
}

export async function removeRepo(root: string): Promise<void> {
  await rm(dirname(root), { recursive: true, force: true });
}

/** The run's secrets: the canaries of the secret tests. */
export const GUARD = SecretGuard.fromEnv(CANARY_ENV);

export function taskOf(extra: Partial<Task> = {}): Task {
  return { task_id: 't1', description: 'work', assignee: 'gpt', files: [], ...extra };
}

/** A toolbox over a fresh working copy of `root`, for the agent `agent` (default `gpt`). */
export async function toolboxFor(
  root: string,
  options: {
    task?: Task;
    agent?: string;
    scope?: string[];
    runChecks?: ChecksRunner;
    limits?: Partial<ToolLimits>;
    branch?: BranchFiles;
    offered?: readonly ToolName[];
  } = {},
) {
  const copy = await WorkingCopy.open(root, options.branch ? { branch: options.branch } : {});
  const agent = BUILTIN_AGENTS.find((candidate) => candidate.name === (options.agent ?? 'gpt'))!;
  const protocol = ConfigSchema.parse({}).protocol;
  const policy = proposalPolicy({
    task: options.task ?? taskOf(),
    agent,
    protocol,
    plugins: [],
    scope: options.scope,
  });
  const toolbox = createToolbox({
    copy,
    rules: { policy, secrets: GUARD },
    ...(options.runChecks ? { runChecks: options.runChecks } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.offered ? { offered: options.offered } : {}),
  });
  return { copy, toolbox, call: (name: string, args: unknown) => toolbox.callTool(name, args) };
}
