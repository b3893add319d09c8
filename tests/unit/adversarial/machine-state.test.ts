/**
 * Machine state is written only by the factory and trusted by nobody on read: forged or damaged
 * records and leases are skipped with a warning naming the file, and the run goes on. A check
 * command, which runs model-written code, never sees a key.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunRecordSchema } from '../../../scripts/core/record/run-record.ts';
import type { Task } from '../../../scripts/core/task/task.ts';
import { runFactory } from '../../../scripts/engine/run/factory.ts';
import { LEASES_DIR } from '../../../scripts/engine/run/leases.ts';
import { runOnce } from '../../../scripts/engine/run/orchestrator.ts';
import { RunStore } from '../../../scripts/engine/store/run-store.ts';
import { checkEnvironment } from '../../../scripts/forge/command.ts';
import { MemoryForge } from '../../fixtures/memory-forge.ts';
import { createSandboxRepo, simpleStory } from '../../fixtures/sandbox-repo.ts';
import { proposalOf, type Script, scriptedServices } from '../../fixtures/scripted-engine.ts';
import { silentProgress } from '../../fixtures/silent-progress.ts';

let root: string;
let forge: MemoryForge;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'aifactory-state-'));
  forge = new MemoryForge();
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const task = (id: string): Task => ({ task_id: id, description: `write ${id}`, assignee: 'gpt', files: [] });
const script: Script = ({ request }) =>
  request.context.role === 'coder'
    ? proposalOf({ [`src/${request.context.taskId}.ts`]: 'x' })
    : { verdict: 'approve', summary: 'ok', comments: [] };

/** A record the factory would write for `id`, in `state`. */
function record(id: string, state = 'merged'): Record<string, unknown> {
  return {
    version: 1,
    task_id: id,
    title: null,
    state,
    assignee: 'gpt',
    reviewer: 'gemini-pro',
    labels: [],
    priority: 0,
    depends_on: [],
    iteration: 1,
    max_iterations: 3,
    branch: null,
    pull_request: null,
    created_at: '2026-11-25T10:00:00.000Z',
    updated_at: '2026-11-25T10:00:00.000Z',
    merged_at: null,
    merge_commit: null,
    last_error: null,
    rejection: null,
    attempts: [],
  };
}

async function plant(file: string, content: string): Promise<void> {
  await mkdir(join(root, 'shared/runs'), { recursive: true });
  await writeFile(join(root, 'shared/runs', file), content);
}

describe('forged and damaged run records', () => {
  const FORGERIES: [string, string, string][] = [
    ['a record that claims another task (to mark it merged)', 'victim.json', JSON.stringify(record('other'))],
    ['a record that is not JSON', 'victim.json', '{"version": 1, "task_id": "vic'],
    [
      'a record with negative tokens',
      'victim.json',
      JSON.stringify({ ...record('victim'), attempts: [{ tokens: { input: -1 } }] }),
    ],
    [
      'a record with an unknown field',
      'victim.json',
      JSON.stringify({ ...record('victim'), approved_by: 'ceo' }),
    ],
    ['a record in an unknown state', 'victim.json', JSON.stringify(record('victim', 'auto_merge'))],
    ['a record of another version', 'victim.json', JSON.stringify({ ...record('victim'), version: 2 })],
  ];

  it.each(FORGERIES)(
    'skips %s with a warning naming the file, and the run goes on',
    async (_what, file, content) => {
      await plant(file, content);
      const warnings: string[] = [];
      const summary = await runOnce(
        [task('victim'), task('bystander')],
        scriptedServices({ root, forge, script, warnings }),
        { concurrency: 2 },
      );
      expect(warnings).toEqual([expect.stringContaining(`shared/runs/${file}`)]);
      expect(warnings[0]).toContain('restore it from git');
      expect(summary.records.has('victim')).toBe(false);
      expect(summary.records.get('bystander')?.state).toBe('merged');
      // The file is left for a person to restore; the factory neither trusts nor overwrites it.
      expect(await readFile(join(root, 'shared/runs', file), 'utf8')).toBe(content);
    },
  );

  it('keeps the tasks that depend on a damaged record waiting, not running', async () => {
    await plant('base.json', 'not json');
    const summary = await runOnce(
      [task('base'), { ...task('dependent'), depends_on: ['base'] }],
      scriptedServices({ root, forge, script }),
      { concurrency: 2 },
    );
    expect(summary.records.has('dependent')).toBe(false);
    expect(summary.waiting).toEqual(['dependent']);
  });

  it('reports a damaged record from every reader, never throwing', async () => {
    await plant('a.json', JSON.stringify(record('b')));
    await plant('b.json', JSON.stringify(record('b')));
    const { records, damaged } = await new RunStore(root).readAll();
    expect([...records.keys()]).toEqual(['b']);
    expect(damaged.get('a')).toContain('holds the record of task "b"');
    await expect(new RunStore(root).read('a')).rejects.toThrow('shared/runs/a.json');
  });
});

describe('forged leases', () => {
  it.each([
    ['a lease in the wrong shape', JSON.stringify({ pid: 'everyone', host: hostname() })],
    [
      'a lease naming a live process in another shape',
      JSON.stringify({ pid: 1, host: hostname(), extra: true }),
    ],
    ['a lease cut off mid-write', '{"pid": 1'],
  ])('takes over %s instead of leaving the task stuck', async (_what, content) => {
    await mkdir(join(root, LEASES_DIR), { recursive: true });
    await writeFile(join(root, LEASES_DIR, 'held.lease'), content);
    const summary = await runOnce([task('held')], scriptedServices({ root, forge, script }), {
      concurrency: 1,
    });
    expect(summary.skipped).toEqual([]);
    expect(summary.records.get('held')?.state).toBe('merged');
  });

  it('respects a well-formed lease of a live process', async () => {
    await mkdir(join(root, LEASES_DIR), { recursive: true });
    const lease = { pid: process.pid, host: hostname(), acquired_at: '2026-11-25T10:00:00.000Z' };
    await writeFile(join(root, LEASES_DIR, 'held.lease'), JSON.stringify(lease));
    const summary = await runOnce([task('held')], scriptedServices({ root, forge, script }), {
      concurrency: 1,
    });
    expect(summary.skipped).toEqual(['held']);
  });
});

describe('checks run without the keys', () => {
  // Key-shaped values are put together at run time: none is literal in the source, which
  // `aifactory security-scan` checks for credentials.
  const PLANTED = {
    OPENAI_API_KEY: ['sk', 'planted-openai-0123456789abcdef'].join('-'),
    GEMINI_API_KEY: 'planted-gemini-0123456789abcdef',
    GITHUB_TOKEN: ['ghs', 'planted0123456789abcdef0123456789ab'].join('_'),
    AIFACTORY_GITHUB_TOKEN: 'planted-app-token-0123456789',
    DEPLOY_PASSWORD: 'planted-password-0123456789',
    ANYTHING_ELSE: 'planted-unlisted-0123456789',
  };

  it('keeps only what tools need, by allowlist', () => {
    const env = checkEnvironment({ ...PLANTED, PATH: '/usr/bin', HOME: '/home/x', LC_ALL: 'C', CI: 'true' });
    expect(env).toEqual({ PATH: '/usr/bin', HOME: '/home/x', LC_ALL: 'C', CI: 'true' });
  });

  it('gives a check that prints its environment none of the factory’s keys', async () => {
    const { root: repo, replayDir } = await createSandboxRepo([simpleStory('env-dump')], {
      config: "export default { checks: { command: 'env; exit 1' } };\n",
    });
    const saved = { ...process.env };
    Object.assign(process.env, PLANTED);
    try {
      await runFactory(repo, { forge: 'local', replayDir, only: ['env-dump'] }, silentProgress);
    } finally {
      for (const name of Object.keys(PLANTED)) delete process.env[name];
      Object.assign(process.env, saved);
    }
    const stored = RunRecordSchema.parse(
      JSON.parse(await readFile(join(repo, 'shared/runs/env-dump.json'), 'utf8')),
    );
    const check = stored.attempts.find((attempt) => attempt.kind === 'checks')!;
    expect(check.output).toContain('PATH=');
    for (const value of Object.values(PLANTED)) expect(check.output).not.toContain(value);
    for (const name of Object.keys(PLANTED)) expect(check.output).not.toContain(`${name}=`);
    await rm(repo, { recursive: true, force: true });
  });
});
