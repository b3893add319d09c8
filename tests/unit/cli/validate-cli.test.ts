import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../../fixtures/cli.ts';

const BROKEN = 'tests/fixtures/broken-tasks';

/** The rule each broken fixture is there to break. */
const EXPECTED_RULES: Record<string, string> = {
  'syntax-error': 'json_syntax',
  'wrong-type': 'schema',
  'missing-description': 'schema',
  'unknown-field': 'unknown_field',
  'id-mismatch': 'task_id_mismatch',
  'duplicate-id': 'duplicate_task_id',
  'unknown-agent': 'unknown_agent',
  'unknown-reviewer': 'unknown_agent',
  'reviewer-is-assignee': 'reviewer_is_assignee',
  'unknown-dependency': 'unknown_dependency',
  'cycle-a': 'dependency_cycle',
  'cycle-b': 'dependency_cycle',
  'duplicate-key': 'duplicate_key',
  'duplicate-file': 'duplicate_file',
  'path-parent': 'protocol',
  'path-absolute': 'protocol',
  'path-backslash': 'protocol',
  'path-nul': 'protocol',
  'path-git': 'protocol',
  'top-dir': 'protocol',
  'github-permission': 'protocol',
};

interface JsonReport {
  ok: boolean;
  tasks: { file: string; task_id: string }[];
  problems: { file: string; field: string; rule: string; message: string; line: number; column: number }[];
}

describe('aifactory validate', () => {
  it("passes on the repository's own tasks/", async () => {
    const result = await runCli(['validate']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/✓ \d+ task files valid/);
  });

  it('exits 1 on the broken fixtures, with a message naming the file and the field for each', async () => {
    const result = await runCli(['validate', BROKEN]);
    expect(result.code).toBe(1);
    const fixtures = (await readdir(join(REPO_ROOT, BROKEN))).map((name) => name.replace(/\.json$/, ''));
    expect(fixtures.sort()).toEqual(Object.keys(EXPECTED_RULES).sort());
    for (const name of fixtures) {
      expect(result.stdout).toMatch(new RegExp(`^${BROKEN}/${name}\\.json:\\d+:\\d+: \\S+: .+`, 'm'));
    }
  });

  it('breaks, in each fixture, the rule the fixture is named for', async () => {
    const result = await runCli(['validate', BROKEN, '--json']);
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(report.ok).toBe(false);
    for (const [name, rule] of Object.entries(EXPECTED_RULES)) {
      const rules = report.problems.filter((p) => p.file === `${BROKEN}/${name}.json`).map((p) => p.rule);
      expect(rules, name).toContain(rule);
    }
    const cycle = report.problems.find((p) => p.rule === 'dependency_cycle');
    expect(cycle?.message).toContain('cycle-a → cycle-b → cycle-a');
  });

  it('prints ::error annotations at the offending key under GitHub Actions', async () => {
    const result = await runCli(['validate', `${BROKEN}/unknown-agent.json`], {
      env: { GITHUB_ACTIONS: 'true' },
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `::error file=${BROKEN}/unknown-agent.json,line=4,col=15,title=assignee (unknown_agent)::unknown agent "grok-fats"`,
    );
  });

  it('validates a single file against the rest of tasks/', async () => {
    const result = await runCli(['validate', 'tasks/demo-banner.json']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('✓ 1 task file valid');
  });

  it('exits 2 on bad usage: a missing path or an unknown option', async () => {
    const missing = await runCli(['validate', 'no/such/folder']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no/such/folder: no such file or folder');
    expect((await runCli(['validate', '--frobnicate'])).code).toBe(2);
  });

  it('prints help for the program and for the command, exiting 0', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('validate');
    const command = await runCli(['validate', '--help']);
    expect(command.code).toBe(0);
    expect(command.stdout).toContain('--json');
    for (const name of ['run', 'watch', 'status', 'snapshot', 'agents', 'new']) {
      const help = await runCli([name, '--help']);
      expect(help.code, name).toBe(0);
      expect(help.stdout, name).toContain(`Usage: aifactory ${name}`);
    }
    const version = await runCli(['--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('aifactory new', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  async function emptyRepo(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'aifactory-new-'));
    dirs.push(dir);
    return dir;
  }

  it('writes a task file that validate accepts, and refuses to overwrite it', async () => {
    const cwd = await emptyRepo();
    const args = [
      'new',
      'add-guide',
      '--assignee',
      'gpt',
      '--description',
      'Write a guide',
      '--files',
      'docs/guide.md',
    ];
    const created = await runCli([...args, '--labels', 'docs', '--priority', '3'], { cwd });
    expect(created.stdout).toContain('wrote tasks/add-guide.json');
    const task = JSON.parse(await readFile(join(cwd, 'tasks/add-guide.json'), 'utf8'));
    expect(task).toMatchObject({
      task_id: 'add-guide',
      assignee: 'gpt',
      files: ['docs/guide.md'],
      priority: 3,
    });
    expect((await runCli(['validate'], { cwd })).code).toBe(0);
    const again = await runCli(args, { cwd });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
  });

  it('refuses a task that would not validate, and writes nothing', async () => {
    const cwd = await emptyRepo();
    const result = await runCli(
      ['new', 'x', '-a', 'gemini-pro', '-d', 'ci', '-f', '.github/workflows/ci.yml'],
      { cwd },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('files[0]');
    await expect(readFile(join(cwd, 'tasks/x.json'))).rejects.toThrow();
  });

  it('exits 2 when a required option is missing or a number is not one', async () => {
    expect((await runCli(['new', 'x', '--assignee', 'gpt'])).code).toBe(2);
    expect((await runCli(['new', 'x', '-a', 'gpt', '-d', 'd', '--priority', 'high'])).code).toBe(2);
  });
});
