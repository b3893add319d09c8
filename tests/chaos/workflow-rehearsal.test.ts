import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../fixtures/cli.ts';
import { GitHubFixture } from '../fixtures/github/fixture.ts';
import { githubEnv } from '../fixtures/github-env.ts';

/**
 * The local rehearsal of the factory workflow: the scripts of the workflow's own steps, read from
 * .github/workflows/factory.yml and pages.yml and run with bash as the runner runs them, against
 * the GitHub fixture seeded with this repository's tracked files. Each job starts from a fresh
 * clone, as actions/checkout gives it; `npm ci` is replaced by the installed node_modules, and the
 * model providers by the recorded answers of the demo (`--replay`), the one change to a step.
 *
 * It goes from a fresh clone to processed tasks, one committed state with snapshots, and a built
 * site; then a second scheduled run with nothing pending commits nothing and deploys nothing.
 */

interface Step {
  name?: string;
  id?: string;
  run?: string;
  env?: Record<string, string>;
}
interface Workflow {
  jobs: Record<string, { steps: Step[] }>;
}

const workflow = async (name: string): Promise<Workflow> =>
  parse(await readFile(join(REPO_ROOT, '.github/workflows', name), 'utf8')) as Workflow;

function step(flow: Workflow, job: string, find: (step: Step) => boolean): Step & { run: string } {
  const found = flow.jobs[job]!.steps.find(find);
  if (!found?.run) throw new Error(`no such run step in job ${job}`);
  return found as Step & { run: string };
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** The tracked files of this repository, as a template repository's first commit holds them. */
function trackedFiles(): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  const names = execFileSync('git', ['ls-files', '-z'], { cwd: REPO_ROOT })
    .toString()
    .split('\0')
    .filter(Boolean);
  for (const name of names) {
    if (!existsSync(join(REPO_ROOT, name))) continue;
    files[name] = execFileSync('cat', [join(REPO_ROOT, name)], { maxBuffer: 64 * 1024 * 1024 });
  }
  return files;
}

/** A fresh clone of the default branch with the installed packages, as a job sees it after `npm ci`. */
async function checkout(github: GitHubFixture): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'aifactory-rehearsal-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  execFileSync('git', ['clone', '-q', github.git.dir, dir]);
  await symlink(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/**
 * Runs a step's script as the runner does (`bash -e -o pipefail`), with the step's env: each
 * value the workflow takes from an expression is given by `values` (unset ones are empty, as an
 * empty input or a missing secret is). Returns its output and what it wrote to $GITHUB_OUTPUT.
 */
async function runStep(
  cwd: string,
  script: string,
  stepEnv: Record<string, string> | undefined,
  values: Record<string, string>,
): Promise<{ code: number; output: string; outputs: Record<string, string>; summary: string }> {
  const outputFile = join(cwd, '..', `${cwd.split('/').pop()}-output`);
  const summaryFile = join(cwd, '..', `${cwd.split('/').pop()}-summary`);
  await writeFile(outputFile, '');
  await writeFile(summaryFile, '');
  cleanups.push(() => rm(outputFile, { force: true }).then(() => rm(summaryFile, { force: true })));
  const env: Record<string, string | undefined> = {
    ...process.env,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    FORCE_COLOR: '0',
    AIFACTORY_GITHUB_THROTTLE: 'off',
    ...values,
  };
  for (const key of Object.keys(stepEnv ?? {})) env[key] = values[key] ?? '';
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['--noprofile', '--norc', '-e', '-o', 'pipefail', '-c', script],
      { cwd, env, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 },
      async (error, stdout, stderr) => {
        const outputs = Object.fromEntries(
          (await readFile(outputFile, 'utf8'))
            .split('\n')
            .filter((line) => line.includes('='))
            .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
        );
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          output: `${stdout}${stderr}`,
          outputs,
          summary: await readFile(summaryFile, 'utf8'),
        });
      },
    );
  });
}

describe('the factory workflow, rehearsed locally against the GitHub fixture', () => {
  it('goes from a fresh clone to processed tasks, a committed snapshot and a built site; with nothing pending it commits nothing', async () => {
    const factory = await workflow('factory.yml');
    const pages = await workflow('pages.yml');
    const plan = step(factory, 'plan', (item) => item.id === 'plan');
    const run = step(factory, 'run', (item) => item.name === 'Run the factory');
    const changed = step(pages, 'build', (item) => item.id === 'changed');
    const build = step(pages, 'build', (item) => item.name === 'Build the site');
    // The one change to the workflow's script: recorded answers instead of the providers' APIs.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the bash array of the workflow's script
    const runScript = run.run.replace('"${args[@]}"', '"${args[@]}" --replay');
    expect(runScript).not.toBe(run.run);

    const github = await GitHubFixture.start({
      seed: trackedFiles(),
      ci: () => 'success',
      mergeableAfterReads: 0,
    });
    cleanups.push(() => github.stop());
    const secrets = githubEnv(github, { AIFACTORY_GITHUB_THROTTLE: undefined });
    const head = async () => (await github.git.run(['rev-parse', 'main'])).stdout.toString().trim();
    const before = await head();

    // The plan job: a handful of tasks stays in one job.
    const planned = await runStep(await checkout(github), plan.run, plan.env, {});
    expect(planned.code, planned.output).toBe(0);
    const matrix = JSON.parse(planned.outputs.matrix!);
    expect(matrix).toMatchObject({ count: 1, shard: ['1/1'] });
    expect(matrix.pending).toBeGreaterThan(0);

    // The run job, from a fresh clone.
    const first = await runStep(await checkout(github), runScript, run.env, secrets);
    expect(first.code, first.output).toBe(0);
    expect(first.output).toMatch(/Run finished: \d+ tasks touched \(\d+ merged/);
    expect(first.output).toMatch(/::stop-commands::[0-9a-f]{32}/);
    expect(first.summary).toMatch(/\| Merged \| [1-9]\d* \|/);
    expect(first.summary).toMatch(/\| GitHub API requests left \| [\d,]+ of 5,000 \|/);
    const after = await head();
    expect(after).not.toBe(before);
    expect(github.pulls.length).toBeGreaterThan(0);
    expect(github.pulls.some((pr) => pr.merged)).toBe(true);
    expect(await github.readFile('main', 'shared/status/summary.json')).not.toBeNull();
    const subjects = (await github.git.run(['log', '--format=%s', `${before}..main`])).stdout.toString();
    expect(
      subjects.split('\n').filter((subject) => subject.startsWith('aifactory: state after run')),
    ).toHaveLength(1);

    // pages.yml after the factory completed: the snapshots changed, so it builds and deploys.
    const site = await checkout(github);
    const deploy = await runStep(site, changed.run, changed.env, {
      EVENT: 'workflow_run',
      STARTED_ON: before,
    });
    expect(deploy.outputs.deploy, deploy.output).toBe('true');
    const built = await runStep(site, build.run, build.env, {
      SITE_URL: 'https://aifactory-test.github.io',
      BASE_PATH: '/demo',
    });
    expect(built.code, built.output).toBe(0);
    const index = await readFile(join(site, 'dist/index.html'), 'utf8');
    expect(index).toContain('demo-slugify');

    // The next scheduled run: nothing pending, so no commit, and pages deploys nothing.
    const second = await runStep(await checkout(github), runScript, run.env, secrets);
    expect(second.code, second.output).toBe(0);
    // A task waiting for a person is looked at again, and nothing changes.
    expect(second.output).toContain('Run finished: 0 tasks touched');
    expect(second.output).toContain('no commit');
    expect(await head()).toBe(after);
    const idle = await runStep(await checkout(github), changed.run, changed.env, {
      EVENT: 'workflow_run',
      STARTED_ON: after,
    });
    expect(idle.outputs.deploy, idle.output).toBe('false');
    expect(github.invalid).toEqual([]);
  }, 600_000);
});
