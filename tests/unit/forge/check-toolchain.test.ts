// Checks run in the project's own toolchain: its pinned Node, else the PATH's, never the factory's pinned one.
import { access, chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FactoryError } from '../../../scripts/core/errors.ts';
import { RunRecordSchema } from '../../../scripts/core/record/run-record.ts';
import { runFactory } from '../../../scripts/engine/run/factory.ts';
import { createCheckSandbox, foldersToBind } from '../../../scripts/forge/sandbox.ts';
import { resolveCheckToolchain, type ToolchainOptions } from '../../../scripts/forge/toolchain.ts';
import { createSandboxRepo, git, simpleStory } from '../../fixtures/sandbox-repo.ts';
import { silentProgress } from '../../fixtures/silent-progress.ts';

let base: string;
let home: string;
let root: string;
let userBin: string;
let factoryPinned: string;
let factoryDotBin: string;
/** A file any fake program touches when it sees a key in its environment. */
let leaked: string;

/** A program that prints `says` (and leaves `leaked` when a key reaches it), at `path`. */
async function program(path: string, says: string): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `#!/bin/sh\n[ -n "$OPENAI_API_KEY" ] && : > '${leaked}'\nprintf '%s\\n' '${says}'\n`);
  await chmod(path, 0o755);
  return path;
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'aifactory-toolchain-'));
  leaked = join(base, 'leaked');
  home = join(base, 'home');
  userBin = join(base, 'user', 'bin');
  await program(join(userBin, 'node'), 'v20.5.0');
  await mkdir(join(base, 'user', 'lib', 'node_modules'), { recursive: true });
  // The factory's pinned Node, and node_modules/.bin, which npm scripts put first on the PATH.
  factoryPinned = await program(join(base, 'factory', 'node_modules', 'node', 'bin', 'node'), 'v24.21.0');
  factoryDotBin = join(base, 'factory', 'node_modules', '.bin');
  await mkdir(factoryDotBin, { recursive: true });
  await symlink('../node/bin/node', join(factoryDotBin, 'node'));
  for (const version of ['v18.19.0', 'v18.20.4', 'v22.1.0'])
    await program(join(home, '.nvm', 'versions', 'node', version, 'bin', 'node'), `${version} from nvm`);
  // Not a version: never taken, whatever it holds.
  await program(join(home, '.nvm', 'versions', 'node', 'system', 'bin', 'node'), 'v18.99.0');
  await program(
    join(home, '.volta', 'tools', 'image', 'node', '16.20.2', 'bin', 'node'),
    'v16.20.2 from volta',
  );
  await writeFile(join(home, '.npmrc'), '//registry.npmjs.org/:_authToken=npm_secret\n');
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

/** A PATH folder that holds nothing: the tests' PATH leaves out whatever Node this machine has. */
const NOWHERE = '/nonexistent-aifactory-bin';
/** The tests' PATH with the system's tools after it, for commands a check runs. */
const SYSTEM_PATH = () => [factoryDotBin, userBin, '/usr/bin', '/bin'].join(':');

let made: string[] = [];
/** A repository root holding `files`. */
async function repo(files: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(base, 'repo-'));
  made.push(dir);
  for (const [path, content] of Object.entries(files)) await writeFile(join(dir, path), content);
  return dir;
}
afterEach(async () => {
  await Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true })));
  made = [];
  await rm(leaked, { force: true });
});

/**
 * The resolver's options on this test's folders: the version managers' system-wide places (n's,
 * the runner tool cache) moved into them too, so no Node of this machine takes part.
 */
function options(overrides: Partial<ToolchainOptions>): ToolchainOptions {
  const { env, ...rest } = overrides;
  return {
    root,
    node: 'project',
    factoryPinned,
    factoryNode: factoryPinned,
    home,
    ...rest,
    env: {
      PATH: [factoryDotBin, userBin, NOWHERE].join(':'),
      OPENAI_API_KEY: 'sk-toolchain-canary',
      N_PREFIX: join(base, 'n'),
      RUNNER_TOOL_CACHE: join(base, 'toolcache'),
      ...env,
    },
  };
}

describe("the checks' Node", () => {
  it("is the node on the PATH when the project pins none, with the factory's pinned Node taken off the PATH", async () => {
    root = await repo();
    const tools = await resolveCheckToolchain(options({}));
    expect(tools.node).toEqual({
      bin: join(userBin, 'node'),
      why: 'the node on the PATH (the project pins no version)',
    });
    expect(tools.path.split(':')).toEqual([userBin, NOWHERE]);
    expect(tools.readOnly).toEqual([userBin, join(base, 'user', 'lib', 'node_modules')]);
  });

  it('is the node on the PATH when it fits the pin, asked for its version without any key', async () => {
    root = await repo({ 'package.json': JSON.stringify({ engines: { node: '>=20' } }) });
    const tools = await resolveCheckToolchain(options({}));
    expect(tools.node).toMatchObject({ bin: join(userBin, 'node'), version: 'v20.5.0' });
    expect(tools.node?.why).toBe('the node on the PATH, which fits package.json engines.node ">=20"');
    await expect(access(leaked)).rejects.toThrow();
  });

  it('is a later node on the PATH when that one fits and the first does not, moved first', async () => {
    root = await repo({ '.nvmrc': 'v20\n' });
    const newer = join(base, 'newer', 'bin');
    await program(join(newer, 'node'), 'v24.1.0');
    const tools = await resolveCheckToolchain(options({ env: { PATH: [newer, userBin, '/bin'].join(':') } }));
    expect(tools.node).toEqual({
      bin: join(userBin, 'node'),
      version: 'v20.5.0',
      why: `the node in ${userBin}, which fits .nvmrc "v20"`,
    });
    expect(tools.path.split(':')).toEqual([userBin, newer, '/bin']);
    root = await repo({ '.nvmrc': '19\n' });
    await expect(
      resolveCheckToolchain(
        options({ env: { PATH: [newer, userBin].join(':') }, home: join(base, 'no-home') }),
      ),
    ).rejects.toThrow('none is installed: the nodes on the PATH are v24.1.0, v20.5.0, and nvm');
  });

  it("is a version manager's newest fit when the PATH's does not fit, first on the PATH", async () => {
    root = await repo({ '.nvmrc': '18\n' });
    const tools = await resolveCheckToolchain(options({}));
    const nvm18 = join(home, '.nvm', 'versions', 'node', 'v18.20.4', 'bin');
    expect(tools.node).toEqual({
      bin: join(nvm18, 'node'),
      version: 'v18.20.4',
      why: 'nvm\'s, for .nvmrc "18"',
    });
    expect(tools.path.split(':')).toEqual([nvm18, userBin, NOWHERE]);
    expect(tools.readOnly).toEqual([nvm18]);
  });

  it("honours volta's pin and the variables that move a manager's folder", async () => {
    root = await repo({ 'package.json': JSON.stringify({ volta: { node: '16.20.2' } }) });
    const moved = join(base, 'elsewhere');
    await program(join(moved, 'tools', 'image', 'node', '16.20.2', 'bin', 'node'), 'v16.20.2 moved');
    try {
      const tools = await resolveCheckToolchain(options({ env: { PATH: userBin, VOLTA_HOME: moved } }));
      expect(tools.node?.bin).toBe(join(moved, 'tools', 'image', 'node', '16.20.2', 'bin', 'node'));
      expect(tools.node?.why).toBe('Volta\'s, for package.json volta.node "16.20.2"');
      const usual = await resolveCheckToolchain(options({ env: { PATH: userBin } }));
      expect(usual.node?.bin).toBe(join(home, '.volta', 'tools', 'image', 'node', '16.20.2', 'bin', 'node'));
    } finally {
      await rm(moved, { recursive: true });
    }
  });

  it("finds the Nodes of GitHub's runner tool cache, as actions/setup-node leaves them", async () => {
    root = await repo({ '.node-version': '20.19\n' });
    await program(join(base, 'toolcache', 'node', '20.19.5', 'x64', 'bin', 'node'), 'v20.19.5 cached');
    try {
      const tools = await resolveCheckToolchain(options({}));
      expect(tools.node?.bin).toBe(join(base, 'toolcache', 'node', '20.19.5', 'x64', 'bin', 'node'));
      expect(tools.node?.why).toBe('the runner tool cache\'s, for .node-version "20.19"');
    } finally {
      await rm(join(base, 'toolcache'), { recursive: true });
    }
  });

  it('names the file, the version and the ways out when no installed Node fits', async () => {
    root = await repo({ '.node-version': '21.7\n' });
    const refused = resolveCheckToolchain(options({}));
    await expect(refused).rejects.toBeInstanceOf(FactoryError);
    await expect(refused).rejects.toMatchObject({ errorClass: 'config' });
    await expect(refused).rejects.toThrow(
      'the checks need the Node that .node-version "21.7" pins, and none is installed: the node on the PATH is v20.5.0, and nvm, fnm, Volta, n, asdf, nodenv and the runner tool cache hold none that fits. Install it (for instance `nvm install 21.7`), or set checks.node: "path"',
    );
    const none = resolveCheckToolchain(options({ env: { PATH: '/nonexistent' } }));
    await expect(none).rejects.toThrow('there is no node on the PATH');
  });

  it('names a pin it cannot read, and runs nothing to find out', async () => {
    root = await repo({ '.nvmrc': '$(touch pwned)\n' });
    await expect(resolveCheckToolchain(options({}))).rejects.toThrow(/^\.nvmrc says "\$\(touch pwned\)"/);
    expect(await readdir(root)).toEqual(['.nvmrc']);
  });

  it('with checks.node "path", is the PATH\'s whatever the pin; with "factory", the factory\'s own', async () => {
    root = await repo({ '.nvmrc': '18\n' });
    const path = await resolveCheckToolchain(options({ node: 'path' }));
    expect(path.node).toEqual({
      bin: join(userBin, 'node'),
      why: 'the node on the PATH (checks.node: "path")',
    });
    const factory = await resolveCheckToolchain(options({ node: 'factory' }));
    expect(factory.node).toEqual({
      bin: factoryPinned,
      why: 'the factory\'s own Node (checks.node: "factory")',
    });
    expect(factory.path.split(':')).toEqual([dirname(factoryPinned), factoryDotBin, userBin, NOWHERE]);
  });

  it('never takes a node from a relative PATH folder, which the checked tree could fill', async () => {
    root = await repo({ '.nvmrc': '18\n' });
    await program(join(root, 'node'), 'v18.0.0');
    await program(join(root, 'node_modules', '.bin', 'node'), 'v18.0.1');
    const tools = await resolveCheckToolchain(
      options({ env: { PATH: ['.', 'node_modules/.bin', userBin].join(':') }, home: join(base, 'no-home') }),
    ).catch((error: Error) => error);
    expect(tools).toBeInstanceOf(FactoryError);
    expect((tools as Error).message).toContain('the node on the PATH is v20.5.0');
    const plain = await resolveCheckToolchain(options({ env: { PATH: `.:${userBin}` }, node: 'path' }));
    expect(plain.path).toBe(userBin);
  });

  it('is none for a project with no node anywhere, and the PATH stays as it was', async () => {
    root = await repo();
    expect(await resolveCheckToolchain(options({ env: { PATH: '/nonexistent:/also-not' } }))).toEqual({
      path: '/nonexistent:/also-not',
      readOnly: [],
    });
  });
});

describe("a Python project's checks", () => {
  let shims: string;
  beforeAll(async () => {
    // A pyenv-like shim: the interpreter it runs lives elsewhere, and says where.
    shims = join(base, 'shims');
    const python = join(base, 'py', 'versions', '3.12.1');
    await mkdir(join(python, 'bin'), { recursive: true });
    await program(
      join(shims, 'python3'),
      [join(python, 'bin', 'python3'), join(base, 'venv'), python].join("' '"),
    );
  });

  it("get the interpreter's own folder where its shim was on the PATH, and its prefixes shown", async () => {
    root = await repo({ 'pyproject.toml': '[project]\nname = "x"\n' });
    const tools = await resolveCheckToolchain(options({ env: { PATH: [shims, '/usr/bin'].join(':') } }));
    const bin = join(base, 'py', 'versions', '3.12.1', 'bin');
    expect(tools.path.split(':')).toEqual([bin, shims, '/usr/bin']);
    expect(tools.readOnly).toEqual(
      expect.arrayContaining([bin, join(base, 'venv'), join(base, 'py', 'versions', '3.12.1')]),
    );
  });

  it('ask nothing of python3 when the project is not a Python one, or when it answers nonsense', async () => {
    root = await repo();
    const marker = join(base, 'asked');
    const asking = join(base, 'asking');
    await mkdir(asking, { recursive: true });
    await writeFile(join(asking, 'python3'), `#!/bin/sh\n: > '${marker}'\necho relative/path\n`);
    await chmod(join(asking, 'python3'), 0o755);
    const plain = await resolveCheckToolchain(options({ env: { PATH: asking } }));
    expect(plain.path).toBe(asking);
    await expect(access(marker)).rejects.toThrow();
    root = await repo({ 'setup.py': '' });
    const odd = await resolveCheckToolchain(options({ env: { PATH: asking } }));
    await expect(access(marker)).resolves.toBeUndefined();
    expect(odd).toEqual({ path: asking, readOnly: [] });
  });
});

describe('what the sandbox shows of the toolchain', () => {
  it('binds only folders inside a hidden place, never one that is or holds such a place', () => {
    const hidden = ['/home/ada', '/srv/repo'];
    expect(
      foldersToBind(
        [
          '/home/ada/.nvm/versions/node/v22.1.0/bin',
          '/srv/repo/.venv',
          '/tmp/tool/bin',
          '/root/.pyenv/versions/3.12.1',
          '/usr/bin',
          '/home/ada',
          '/home',
          '/srv',
          '/',
          'relative/bin',
          '/home/ada/line\nbreak',
        ],
        hidden,
      ),
    ).toEqual([
      '/home/ada/.nvm/versions/node/v22.1.0/bin',
      '/srv/repo/.venv',
      '/tmp/tool/bin',
      '/root/.pyenv/versions/3.12.1',
    ]);
  });

  it('runs the pinned Node from a hidden home, read-only, with nothing else of that home in sight', async () => {
    root = await repo({ '.nvmrc': '18.20.4\n' });
    const tree = await mkdtemp(join(base, 'tree-'));
    const toolchain = await resolveCheckToolchain(options({ env: { PATH: SYSTEM_PATH() } }));
    const nvm18 = join(home, '.nvm', 'versions', 'node', 'v18.20.4', 'bin');
    const result = await createCheckSandbox({ toolchain: async () => toolchain }).run({
      command: [
        'node',
        'command -v node',
        `cat '${join(home, '.npmrc')}' 2>/dev/null || echo "no npmrc"`,
        `ls '${join(home, '.nvm', 'versions', 'node')}'`,
        `touch '${nvm18}/planted' 2>/dev/null || echo "read-only"`,
        'touch /tmp/scratch && echo "tmp is writable"',
      ].join('\n'),
      tree,
      timeoutMs: 30_000,
    });
    expect(result.output.split('\n')).toEqual([
      'v18.20.4 from nvm',
      join(nvm18, 'node'),
      'no npmrc',
      'v18.20.4',
      'read-only',
      'tmp is writable',
      '',
    ]);
    expect(result.code).toBe(0);
  }, 30_000);

  it('with checks.sandbox "none", still runs on the toolchain\'s PATH', async () => {
    root = await repo({ '.nvmrc': '22.1.0\n' });
    const toolchain = await resolveCheckToolchain(options({ env: { PATH: SYSTEM_PATH() } }));
    const sandbox = createCheckSandbox({ kind: 'none', warn: () => {}, toolchain: async () => toolchain });
    const result = await sandbox.run({ command: 'node', tree: base, timeoutMs: 10_000 });
    expect(result.output).toBe('v22.1.0 from nvm\n');
  });

  it('refuses to run a check whose Node cannot be found, as a set-up fault that pauses the task', async () => {
    root = await repo({ '.nvmrc': '17\n' });
    const marker = join(base, 'ran');
    const sandbox = createCheckSandbox({ toolchain: () => resolveCheckToolchain(options({})) });
    const refused = sandbox.run({ command: `touch '${marker}'`, tree: base, timeoutMs: 10_000 });
    await expect(refused).rejects.toMatchObject({ errorClass: 'auth' });
    await expect(refused).rejects.toThrow(
      /^checks\.command was not run: the checks need the Node that \.nvmrc "17" pins/,
    );
    await expect(access(marker)).rejects.toThrow();
  });
});

describe('a run whose pinned Node is not installed', () => {
  it('pauses the task with the pin named in its record, and merges nothing', async () => {
    const made = await createSandboxRepo([simpleStory('pinned')], {
      config: "export default { checks: { command: 'node --version' } };\n",
    });
    try {
      await writeFile(join(made.root, '.nvmrc'), '999\n');
      git(made.root, 'add', '.nvmrc');
      git(made.root, 'commit', '-q', '-m', 'pin a Node nobody has');
      await runFactory(made.root, { forge: 'local', replayDir: made.replayDir }, silentProgress);
      const record = RunRecordSchema.parse(
        JSON.parse(await readFile(join(made.root, 'shared/runs/pinned.json'), 'utf8')),
      );
      expect(record.state).not.toBe('merged');
      expect(record.last_error?.class).toBe('auth');
      expect(record.last_error?.message).toContain('.nvmrc "999"');
    } finally {
      await rm(made.root, { recursive: true, force: true });
    }
  }, 60_000);
});
