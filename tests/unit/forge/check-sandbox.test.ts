// The checks sandbox: model-written checks find no key, write only their tree, reach no network, and are refused unisolated.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FactoryError } from '../../../scripts/core/errors.ts';
import { RunRecordSchema } from '../../../scripts/core/record/run-record.ts';
import { runFactory } from '../../../scripts/engine/run/factory.ts';
import { createLocalForge } from '../../../scripts/forge/local/forge.ts';
import {
  createCheckSandbox,
  NO_SANDBOX_WARNING,
  SANDBOX_ID,
  type SandboxSupport,
} from '../../../scripts/forge/sandbox.ts';
import type { CheckFactoryJob } from '../../fixtures/check-factory.ts';
import { REPO_ROOT } from '../../fixtures/cli.ts';
import { createSandboxRepo, git } from '../../fixtures/sandbox-repo.ts';
import { ALL_FORMS, CANARY } from '../../fixtures/secret-canaries.ts';
import { silentProgress } from '../../fixtures/silent-progress.ts';

/** The run's keys, as the factory's process holds them: every one carries the canary marker. */
const KEYS: Record<string, string> = {
  ...CANARY,
  AIFACTORY_GITHUB_TOKEN: CANARY.GITHUB_TOKEN,
  XAI_API_KEY: 'xai-LEAKCANARY-grok-5150',
  GEMINI_API_KEY: 'AIzaLEAKCANARYgemini_0000000000000000', // aifactory:allow-secret
};
const gpt = { name: 'gpt', email: 'gpt@agents.aifactory.invalid' };
const unavailable = async (): Promise<SandboxSupport> => ({
  available: false,
  reason: 'sudo -n asked for a password',
});

/**
 * A grep pattern for `form` that does not hold `form`, nor the marker every key carries, so the
 * scan never finds its own command line: each character in brackets.
 */
function patternOf(form: string): string {
  return [...form].map((char) => `[${char}]`).join('');
}

/**
 * The check a hostile model would write: reads every /proc/<pid>/environ and cmdline it can, and
 * every file under `places`, for every form of every key, and prints `FOUND <path>` for each hit.
 */
function scanCommand(places: readonly string[]): string {
  const patterns = ALL_FORMS.map((form) => `-e '${patternOf(form)}'`).join(' ');
  const quoted = places.map((place) => `'${place}'`).join(' ');
  return [
    'n=0',
    'for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do',
    '  [ -r "$f" ] || continue; n=$((n+1))',
    `  grep -qaE ${patterns} "$f" 2>/dev/null && echo "FOUND $f"`,
    'done',
    'echo "read $n /proc files as $(id -u)"',
    `grep -rlaE ${patterns} "$HOME" "\${TMPDIR:-/tmp}" "$PWD" ${quoted} 2>/dev/null | sed 's/^/FOUND /'`,
    'echo scanned',
  ].join('\n');
}

/** A factory process holding KEYS, its home and temporary folder holding key files, run on `root`. */
async function runFactoryProcess(
  job: CheckFactoryJob,
  places: { home: string; tmp: string },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const loader = pathToFileURL(join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
  const child = spawn(
    process.execPath,
    ['--import', loader, join(REPO_ROOT, 'tests/fixtures/check-factory.ts'), JSON.stringify(job)],
    { cwd: job.root, env: { ...process.env, ...KEYS, HOME: places.home, TMPDIR: places.tmp } },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr };
}

describe('checks sandbox: no key is readable from inside a check', () => {
  let root: string;
  let home: string;
  let tmp: string;

  beforeAll(async () => {
    ({ root } = await createSandboxRepo([]));
    // Where a real factory keeps keys on disk: a .netrc, a key file, actions/checkout's credentials.
    home = await mkdtemp(join(tmpdir(), 'aifactory-factory-home-'));
    tmp = await mkdtemp(join(tmpdir(), 'aifactory-factory-tmp-'));
    await writeFile(join(home, '.netrc'), `machine github.com login x password ${KEYS.GITHUB_TOKEN}\n`);
    await mkdir(join(home, '.config'));
    await writeFile(join(home, '.config/keys.env'), `OPENAI_API_KEY=${KEYS.OPENAI_API_KEY}\n`);
    await writeFile(join(tmp, 'keys.txt'), `${KEYS.STRIPE_WEBHOOK_SECRET}\n`);
    const basic = Buffer.from(`x-access-token:${KEYS.GITHUB_TOKEN}`).toString('base64');
    git(root, 'config', 'http.https://github.com/.extraheader', `AUTHORIZATION: basic ${basic}`);
    const forge = await createLocalForge({ root, defaultBranch: 'main' });
    await forge.pushIteration({
      branch: 'aifactory/t',
      changes: [{ path: 'src/a.txt', content: 'a\n' }],
      message: 'Write a',
      author: gpt,
      trailers: {},
    });
  });

  afterAll(async () => {
    await Promise.all([root, home, tmp].map((dir) => rm(dir, { recursive: true, force: true })));
  });

  /** The scan run by a factory process through `path`, and what it found and warned. */
  async function scan(path: CheckFactoryJob['path'], sandbox: CheckFactoryJob['sandbox']) {
    // The local forge keeps each head's report: each run must run the check again.
    await rm(join(root, '.git/aifactory/checks'), { recursive: true, force: true });
    const run = await runFactoryProcess(
      { path, root, command: scanCommand([home, tmp, root]), sandbox },
      { home, tmp },
    );
    expect(run.code, run.stderr).toBe(0);
    const { output } = JSON.parse(run.stdout) as { output: string };
    expect(output).toContain('scanned');
    const found = output.split('\n').filter((line) => line.startsWith('FOUND'));
    return { output, found, stderr: run.stderr };
  }

  it.each(['local', 'self'] as const)(
    'a check run by the %s path finds no key in /proc, in files or in its environment',
    async (path) => {
      const { output, found, stderr } = await scan(path, 'isolate');
      expect(output).toMatch(new RegExp(`read [1-9]\\d* /proc files as ${SANDBOX_ID}\\b`));
      expect(found).toEqual([]);
      expect(stderr).not.toContain(NO_SANDBOX_WARNING);
    },
    60_000,
  );

  it.each(['local', 'self'] as const)(
    'the same scan by the %s path with checks.sandbox "none" finds the keys, and the run warns',
    async (path) => {
      const { output, found, stderr } = await scan(path, 'none');
      expect(
        found.some((line) => /^FOUND \/proc\/\d+\/environ$/.test(line)),
        output,
      ).toBe(true);
      expect(found).toEqual(
        expect.arrayContaining([
          `FOUND ${join(home, '.netrc')}`,
          `FOUND ${join(home, '.config/keys.env')}`,
          `FOUND ${join(tmp, 'keys.txt')}`,
          `FOUND ${join(root, '.git/config')}`,
        ]),
      );
      expect(stderr).toContain(`warning: ${NO_SANDBOX_WARNING}`);
    },
    60_000,
  );
});

describe('checks sandbox: what a check may touch', () => {
  let root: string;
  let tree: string;

  beforeAll(async () => {
    ({ root } = await createSandboxRepo([]));
    tree = await mkdtemp(join(tmpdir(), 'aifactory-tree-'));
  });

  afterAll(async () => {
    await Promise.all([root, tree].map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('writes its own tree, never the repository .git, the factory home or the system, and leaves git nothing to run', async () => {
    const mark = randomBytes(6).toString('hex');
    const planted = join(homedir(), `aifactory-planted-${mark}`);
    const outside = await mkdtemp(join(tmpdir(), 'aifactory-outside-'));
    await writeFile(join(outside, 'target'), 'kept\n');
    const forge = await createLocalForge({
      root,
      defaultBranch: 'main',
      checks: {
        command: [
          'echo mine > written && echo "wrote $(cat written)"',
          `echo 'touch ${planted}' > '${root}/.git/hooks/post-commit' 2>/dev/null || echo "no hooks"`,
          `sed -n 's/^gitdir: //p' .git | while read -r dir; do echo evil > "$dir/../../hooks/pre-commit" 2>/dev/null || echo "no worktree hooks"; done`,
          `touch '${planted}' 2>/dev/null || echo "no home"`,
          `touch /etc/aifactory-planted-${mark} 2>/dev/null || echo "no system"`,
          `echo pwned > '${join(outside, 'target')}' 2>/dev/null || echo "no outside"`,
          // A git folder of the check's own, which a git run in the tree afterwards would obey.
          'mkdir -p evil && git init -q evil 2>/dev/null; printf "gitdir: %s/evil/.git\\n" "$PWD" > .git',
          'grep -q "^CapEff:\\s*0*$" /proc/self/status && echo "no capabilities"',
        ].join('\n'),
        timeoutSeconds: 60,
      },
    });
    await forge.pushIteration({
      branch: 'aifactory/t',
      changes: [{ path: 'src/a.txt', content: 'a\n' }],
      message: 'Write a',
      author: gpt,
      trailers: {},
    });
    const pr = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: '' });
    try {
      const report = await forge.readChecks(pr);
      expect(report.output).toContain('wrote mine');
      for (const refused of ['no hooks', 'no worktree hooks', 'no home', 'no system', 'no outside'])
        expect(report.output).toContain(refused);
      expect(report.output).toContain('no capabilities');
      await expect(access(join(root, '.git/hooks/post-commit'))).rejects.toThrow();
      await expect(access(join(root, '.git/hooks/pre-commit'))).rejects.toThrow();
      await expect(access(planted)).rejects.toThrow();
      await expect(access(`/etc/aifactory-planted-${mark}`)).rejects.toThrow();
      expect(await readFile(join(outside, 'target'), 'utf8')).toBe('kept\n');
      expect(git(root, 'worktree', 'list').split('\n')).toHaveLength(1);
    } finally {
      await rm(planted, { force: true });
      await rm(`/etc/aifactory-planted-${mark}`, { force: true });
      await rm(outside, { recursive: true, force: true });
    }
  }, 60_000);

  it('gives the tree back to the factory with what the check made in it', async () => {
    const result = await createCheckSandbox().run({
      command: 'mkdir -p made/deep && echo x > made/deep/file && ln -s /etc/passwd made/link && id -u',
      tree,
      timeoutMs: 30_000,
    });
    expect(result).toEqual({ code: 0, output: `${SANDBOX_ID}\n` });
    for (const path of ['', 'made', 'made/deep', 'made/deep/file'])
      expect((await stat(join(tree, path))).uid).toBe(process.getuid!());
    expect((await stat('/etc/passwd')).uid).toBe(0);
  }, 30_000);

  it('reaches no network by default, not even a server of the factory on loopback; checks.network allows it', async () => {
    let connections = 0;
    const server = createServer((socket) => {
      connections += 1;
      socket.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const command = `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port}' 2>/dev/null && echo connected || echo refused`;
    try {
      const closed = await createCheckSandbox().run({ command, tree, timeoutMs: 30_000 });
      expect(closed.output).toBe('refused\n');
      expect(connections).toBe(0);
      const open = await createCheckSandbox({ network: true }).run({ command, tree, timeoutMs: 30_000 });
      expect(open.output).toBe('connected\n');
      expect(connections).toBe(1);
    } finally {
      server.close();
    }
  }, 60_000);

  it('kills every process of a check that runs past its limit, those that left its session too', async () => {
    const seconds = `307.${Date.now()}`;
    const result = await createCheckSandbox().run({
      command: `setsid sleep ${seconds} & sleep ${seconds}`,
      tree,
      timeoutMs: 1_500,
    });
    expect(result.code).toBe(124);
    expect(result.output).toContain('timed out after 2 s');
    const sleeping = async () => {
      const found: string[] = [];
      for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
        const line = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
        if (line.includes(seconds)) found.push(pid);
      }
      return found;
    };
    for (let waited = 0; waited < 5_000 && (await sleeping()).length > 0; waited += 100)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await sleeping()).toEqual([]);
  }, 30_000);
});

describe('checks sandbox: where none can be made, and the opt-out', () => {
  it('refuses to run a check unisolated, naming the fixes', async () => {
    const sandbox = createCheckSandbox({ probe: unavailable });
    const refusal = sandbox.run({ command: 'touch ran', tree: tmpdir(), timeoutMs: 1000 });
    await expect(refusal).rejects.toThrow(FactoryError);
    await expect(refusal).rejects.toMatchObject({ errorClass: 'auth' });
    await expect(refusal).rejects.toThrow(
      /sudo -n asked for a password.*as root.*passwordless sudo.*checks\.sandbox: "none"/,
    );
    await expect(access(join(tmpdir(), 'ran'))).rejects.toThrow();
  });

  it('with "none", runs the check as the factory and warns once per run', async () => {
    const warnings: string[] = [];
    const sandbox = createCheckSandbox({ kind: 'none', warn: (message) => warnings.push(message) });
    for (let run = 0; run < 2; run += 1) {
      const { output } = await sandbox.run({ command: 'id -u', tree: tmpdir(), timeoutMs: 10_000 });
      expect(output).toBe(`${process.getuid!()}\n`);
    }
    expect(warnings).toEqual([NO_SANDBOX_WARNING]);
    expect(NO_SANDBOX_WARNING).toMatch(/read every key and token/);
  });

  it('pauses the task with the refusal in its record, and runs nothing, when checks cannot be isolated', async () => {
    const { root, replayDir } = await createSandboxRepo(
      [
        {
          task: {
            task_id: 'checked',
            description: 'write src/ok.txt',
            assignee: 'gpt',
            files: ['src/ok.txt'],
          },
          iterations: [{ files: [{ path: 'src/ok.txt', content: 'fine\n' }], verdict: 'approve' }],
        },
      ],
      { config: `export default { checks: { command: 'touch "${tmpdir()}/aifactory-ran-$$"' } };\n` },
    );
    try {
      await runFactory(root, { forge: 'local', replayDir, sandboxProbe: unavailable }, silentProgress);
      const record = RunRecordSchema.parse(
        JSON.parse(await readFile(join(root, 'shared/runs/checked.json'), 'utf8')),
      );
      expect(record.state).not.toBe('merged');
      expect(record.last_error?.class).toBe('auth');
      expect(record.last_error?.message).toContain('checks.sandbox: "none"');
      expect((await readdir(tmpdir())).filter((name) => name.startsWith('aifactory-ran-'))).toEqual([]);
      expect(() => git(root, 'show', 'main:src/ok.txt')).toThrow();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 60_000);
});
