// biome-ignore-all lint/suspicious/noTemplateCurlyInString: GitHub Actions expressions (${{ }}) are the data under test.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../fixtures/cli.ts';
import { createSandboxRepo, git } from '../../fixtures/sandbox-repo.ts';

const SHA = '08c6903cd8c0fde910a37f88322edcfb5dd907a8';

/** A key in OpenAI's format, put together at run time so that it is never literal in this file. */
const PLANTED_KEY = ['sk', 'proj', 'Z9y8X7w6V5'.repeat(4)].join('-');

/** A workflow that passes: pinned, read-only, values reach the script through env:. */
const GOOD_WORKFLOW = `name: ci
on: pull_request
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@${SHA} # v5.0.0
      - run: echo "$TITLE"
        env:
          TITLE: \${{ github.event.pull_request.title }}
`;

interface JsonReport {
  ok: boolean;
  scanned: { files: number; workflows: number; config: string | null };
  findings: { file: string; line: number; rule: string; severity: 'error' | 'info'; message: string }[];
}

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

/** A scratch git repository with a clean workflow, plus `files` committed on top of it. */
async function sandbox(files: Record<string, string>, config?: string): Promise<string> {
  const { root } = await createSandboxRepo([], config ? { config } : {});
  dirs.push(root);
  for (const [path, content] of Object.entries({ '.github/workflows/ci.yml': GOOD_WORKFLOW, ...files })) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'plant');
  return root;
}

const scan = (cwd: string, ...args: string[]) => runCli(['security-scan', ...args], { cwd });

/** The finding lines (`file:line: [rule] …`) of a text report, without the summary. */
const findingLines = (stdout: string): string[] =>
  stdout.split('\n').filter((line) => /^\S+:\d+: \[/.test(line));

describe('aifactory security-scan', () => {
  it('passes on the repository itself', async () => {
    const result = await runCli(['security-scan']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /✓ security scan clean \(\d+ files, \d+ workflows, config aifactory\.config\.ts\)/,
    );
    // The built-in grant is shown for a person to know, and does not fail the scan.
    expect(result.stdout).toContain('scripts/agents/builtin/grok-fast.ts:');
    expect(result.stdout).toContain(
      '[control_plane_grant] info: agent "grok-fast" may propose changes to .github/',
    );
  });

  it('passes on a clean scratch repository', async () => {
    const result = await scan(await sandbox({}));
    expect(result.code).toBe(0);
    expect(findingLines(result.stdout).filter((line) => !line.includes('] info: '))).toEqual([]);
  });

  const cases: { name: string; files: Record<string, string>; config?: string; expected: string[] }[] = [
    {
      name: 'a planted secret',
      files: { 'src/settings.ts': `// settings\nexport const key = '${PLANTED_KEY}';\n` },
      expected: ['src/settings.ts:2: [secret]'],
    },
    {
      name: 'an unpinned action',
      files: {
        '.github/workflows/build.yml':
          'on: push\npermissions:\n  contents: read\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n',
      },
      expected: ['.github/workflows/build.yml:8: [unpinned_action] actions/checkout@v4 is pinned to "v4"'],
    },
    {
      name: 'a workflow without top-level permissions',
      files: {
        '.github/workflows/lint.yaml': 'on: push\njobs:\n  l:\n    runs-on: ubuntu-latest\n    steps: []\n',
      },
      expected: ['.github/workflows/lint.yaml:1: [missing_permissions]'],
    },
    {
      name: 'pull_request_target with a checkout of the head',
      files: {
        '.github/workflows/pr.yml': [
          'on:',
          '  pull_request_target:',
          'permissions:',
          '  contents: read',
          'jobs:',
          '  t:',
          '    runs-on: ubuntu-latest',
          '    steps:',
          `      - uses: actions/checkout@${SHA}`,
          '        with:',
          '          ref: ${{ github.event.pull_request.head.sha }}',
          '',
        ].join('\n'),
      },
      expected: [
        ".github/workflows/pr.yml:2: [pull_request_target] pull_request_target runs with the base repository's write token and secrets, and this workflow runs the pull request's own code (line 11)",
        '.github/workflows/pr.yml:11: [pr_head_checkout]',
      ],
    },
    {
      name: '${{ github.event.issue.title }} inside run:',
      files: {
        '.github/workflows/triage.yml': [
          'on: issues',
          'permissions: {}',
          'jobs:',
          '  t:',
          '    runs-on: ubuntu-latest',
          '    steps:',
          '      - run: |',
          '          echo "new issue"',
          '          echo "${{ github.event.issue.title }}"',
          '',
        ].join('\n'),
      },
      expected: [
        '.github/workflows/triage.yml:9: [expression_in_run] ${{ github.event.issue.title }} inside run:',
      ],
    },
    {
      name: 'a config that lists scripts in allowed_top_dirs',
      files: {},
      config: [
        '// Agents may write the product folders.',
        'export default {',
        '  protocol: {',
        "    allowed_top_dirs: ['src', 'docs',",
        "      'scripts'],",
        '  },',
        '};',
        '',
      ].join('\n'),
      expected: ['aifactory.config.mjs:5: [control_plane_dir] protocol.allowed_top_dirs lists "scripts"'],
    },
    {
      name: 'a workflow running gh pr merge',
      files: {
        '.github/workflows/merge.yml': [
          'on: pull_request',
          'permissions:',
          '  contents: write',
          'jobs:',
          '  m:',
          '    runs-on: ubuntu-latest',
          '    steps:',
          '      - run: gh pr merge --auto --squash "$PR_URL"',
          '        env:',
          '          PR_URL: ${{ github.event.pull_request.html_url }}',
          '',
        ].join('\n'),
      },
      expected: [
        '.github/workflows/merge.yml:8: [merges_pull_requests] run: merges pull requests with gh pr merge',
      ],
    },
  ];

  it.for(cases)(
    'fails on $name, naming the file, the line and the rule',
    async ({ files, config, expected }, { expect }) => {
      const result = await scan(await sandbox(files, config));
      expect(result.code).toBe(1);
      const lines = findingLines(result.stdout).filter((line) => !line.includes('] info: '));
      expect(lines).toHaveLength(expected.length);
      for (const [index, start] of expected.entries()) expect(lines[index]).toContain(start);
      expect(result.stdout).toMatch(/✗ \d+ security findings? \(/);
    },
  );

  it('never prints the secret, and also scans shared/ before it is committed, but not binary files', async () => {
    const root = await sandbox({
      'src/settings.ts': `export const key = '${PLANTED_KEY}';\n`,
      'src/logo.bin': `\0\0binary ${PLANTED_KEY}\n`,
      'node_modules/pkg/index.js': `module.exports = '${PLANTED_KEY}';\n`,
    });
    await mkdir(join(root, 'shared', 'runs'), { recursive: true });
    await writeFile(join(root, 'shared', 'runs', 'leak.json'), `{\n  "note": "${PLANTED_KEY}"\n}\n`);
    const result = await scan(root, '--json');
    expect(result.code).toBe(1);
    expect(result.stdout).not.toContain(PLANTED_KEY);
    expect(result.stdout).not.toContain(PLANTED_KEY.slice(8));
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(
      report.findings.filter((item) => item.rule === 'secret').map((item) => `${item.file}:${item.line}`),
    ).toEqual(['shared/runs/leak.json:2', 'src/settings.ts:1']);
  });

  it('scans untracked files too, but never one an ignore rule hides', async () => {
    const root = await sandbox({ '.gitignore': '.aifactory/\n.replay/\nbuild/\n' });
    await mkdir(join(root, 'src', 'new'), { recursive: true });
    await writeFile(join(root, 'src', 'new', 'draft.ts'), `export const key = '${PLANTED_KEY}';\n`);
    await writeFile(join(root, 'notes.md'), `# notes\n\nkey: ${PLANTED_KEY}\n`);
    await mkdir(join(root, 'build'), { recursive: true });
    await writeFile(join(root, 'build', 'out.js'), `var k = '${PLANTED_KEY}';\n`);
    await writeFile(join(root, '.git', 'info', 'exclude'), 'private.env\n');
    await writeFile(join(root, 'private.env'), `KEY=${PLANTED_KEY}\n`);
    expect(git(root, 'status', '--porcelain', '--untracked-files=all')).toContain('?? src/new/draft.ts');
    const result = await scan(root, '--json');
    expect(result.code).toBe(1);
    expect(result.stdout).not.toContain(PLANTED_KEY);
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(
      report.findings.filter((item) => item.rule === 'secret').map((item) => `${item.file}:${item.line}`),
    ).toEqual(['notes.md:3', 'src/new/draft.ts:1']);
  });

  it('prints a JSON report: ok, what it scanned, and every finding with file, line, rule, severity and message', async () => {
    const root = await sandbox(
      { '.github/workflows/build.yml': 'on: push\njobs: {}\n' },
      "export default { agents: [{ name: 'gpt', permissions: { control_plane: ['tasks'] } }] };\n",
    );
    const result = await scan(root, '--json');
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(Object.keys(report)).toEqual(['ok', 'scanned', 'findings']);
    expect(report.ok).toBe(false);
    expect(report.scanned).toEqual({ files: 5, workflows: 2, config: 'aifactory.config.mjs' });
    for (const item of report.findings) {
      expect(Object.keys(item).sort()).toEqual(['file', 'line', 'message', 'rule', 'severity']);
    }
    expect(report.findings).toContainEqual({
      file: '.github/workflows/build.yml',
      line: 1,
      rule: 'missing_permissions',
      severity: 'error',
      message: expect.stringContaining('permissions'),
    });
    expect(report.findings).toContainEqual({
      file: 'aifactory.config.mjs',
      line: 1,
      rule: 'control_plane_grant',
      severity: 'info',
      message: expect.stringContaining('agent "gpt" may propose changes to tasks/'),
    });
  });

  it('passes with only info findings, and annotates under GitHub Actions', async () => {
    const root = await sandbox(
      {},
      "export default {\n  agents: [\n    { name: 'gpt', permissions: { control_plane: ['prompts'] } },\n  ],\n};\n",
    );
    const clean = await runCli(['security-scan'], { cwd: root, env: { GITHUB_ACTIONS: 'true' } });
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('aifactory.config.mjs:3: [control_plane_grant] info: agent "gpt"');
    expect(clean.stdout).toContain(
      '::notice file=aifactory.config.mjs,line=3,title=control_plane_grant::agent "gpt"',
    );

    const dirty = await sandbox({ '.github/workflows/x.yml': 'on: push\njobs: {}\n' });
    const failed = await runCli(['security-scan'], { cwd: dirty, env: { GITHUB_ACTIONS: 'true' } });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain(
      '::error file=.github/workflows/x.yml,line=1,title=missing_permissions::',
    );
  });

  it('reports a config that cannot be loaded at all, or names an agent that does not exist', async () => {
    const broken = await scan(await sandbox({}, 'export default {;\n'));
    expect(broken.code).toBe(1);
    expect(findingLines(broken.stdout).filter((line) => !line.includes('] info: '))).toEqual([
      expect.stringMatching(
        /^aifactory\.config\.mjs:1: \[config\] aifactory\.config\.mjs: cannot be loaded: /,
      ),
    ]);
    const unknown = await scan(await sandbox({}, "export default { default_reviewer: 'nobody' };\n"));
    expect(unknown.code).toBe(1);
    expect(findingLines(unknown.stdout)).toEqual([
      expect.stringMatching(/^aifactory\.config\.mjs:1: \[config\] default_reviewer: unknown agent "nobody"/),
    ]);
  });

  it('exits 2 on a bad option or outside a git repository, and prints help', async () => {
    const bad = await runCli(['security-scan', '--frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown option '--frobnicate'");
    const empty = await mkdtemp(join(tmpdir(), 'aifactory-nogit-'));
    dirs.push(empty);
    const outside = await scan(empty);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain('run security-scan in a git repository');
    const help = await runCli(['security-scan', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: aifactory security-scan');
    expect(help.stdout).toContain('--json');
    expect(help.stdout).toContain('Exit codes: 0');
  });
});
