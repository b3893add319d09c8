// The toolchain checks run with: the project's own Node (its pin, else the PATH's), never the factory's.
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readdir, readFile, realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, delimiter, dirname, isAbsolute, join } from 'node:path';
import type { CheckNodeKind } from '../core/config.ts';
import { FactoryError } from '../core/errors.ts';
import {
  formatVersion,
  type NodePin,
  type NodeVersion,
  newestMatching,
  nodePinOf,
  parseNodeVersion,
} from '../core/node-pin.ts';
import { checkEnvironment } from './command.ts';

/** Files that mark a Python project, whose checks get the python3 on the PATH with its packages. */
export const PYTHON_FILES = ['pytest.ini', 'pyproject.toml', 'setup.py', 'setup.cfg', 'tox.ini'] as const;

/** What the checks run with: their PATH, and the folders of it the sandbox must show them. */
export interface CheckToolchain {
  /** The checks' PATH: the chosen Node's folder first, the factory's pinned Node left out. */
  path: string;
  /**
   * Folders the chosen tools live in (a Node's `bin` and `lib/node_modules`, a Python's prefix),
   * bound read-only into the sandbox when they lie where it hides everything (a home, /tmp).
   */
  readOnly: string[];
  /** The Node the checks get, and why; undefined when there is no node at all (a Go project). */
  node?: { bin: string; version?: string; why: string };
}

/** Where the toolchain is looked for, and seams for tests. */
export interface ToolchainOptions {
  /** The repository root, whose `.nvmrc`, `.node-version` and package.json are read. */
  root: string;
  /** The config's `checks.node`. */
  node: CheckNodeKind;
  /** The environment whose PATH and version managers' variables are read. */
  env: NodeJS.ProcessEnv;
  /** The factory's own pinned Node (default: `node_modules/node/bin/node` of its package). */
  factoryPinned?: string;
  /** The Node the factory runs on (default: this process's). */
  factoryNode?: string;
  /** The user's home, where version managers keep their Nodes (default: os.homedir()). */
  home?: string;
}

/** The factory's package: two folders above this file. */
const PACKAGE_ROOT = join(import.meta.dirname, '..', '..');
/** How long asking a program for its version may take. */
const ASK_TIMEOUT_MS = 10_000;

/** One Node a version manager has installed. */
interface InstalledNode {
  version: NodeVersion;
  bin: string;
  manager: string;
}

/**
 * Where version managers keep their Nodes, each as `<versions>/<version folder><bin below it>`,
 * with the variables that move them honoured as each manager reads them.
 */
function managerDirs(
  env: NodeJS.ProcessEnv,
  home: string,
): [manager: string, versions: string, below: string][] {
  const data = env.XDG_DATA_HOME || join(home, '.local', 'share');
  return [
    ['nvm', join(env.NVM_DIR || join(home, '.nvm'), 'versions', 'node'), 'bin'],
    ['fnm', join(env.FNM_DIR || join(data, 'fnm'), 'node-versions'), join('installation', 'bin')],
    ['fnm', join(home, '.fnm', 'node-versions'), join('installation', 'bin')],
    ['Volta', join(env.VOLTA_HOME || join(home, '.volta'), 'tools', 'image', 'node'), 'bin'],
    ['n', join(env.N_PREFIX || '/usr/local', 'n', 'versions', 'node'), 'bin'],
    ['asdf', join(env.ASDF_DATA_DIR || join(home, '.asdf'), 'installs', 'nodejs'), 'bin'],
    ['nodenv', join(env.NODENV_ROOT || join(home, '.nodenv'), 'versions'), 'bin'],
    // GitHub's runners keep several Nodes here, and actions/setup-node adds the ones it fetches.
    [
      'the runner tool cache',
      join(env.RUNNER_TOOL_CACHE || '/opt/hostedtoolcache', 'node'),
      join('x64', 'bin'),
    ],
    [
      'the runner tool cache',
      join(env.RUNNER_TOOL_CACHE || '/opt/hostedtoolcache', 'node'),
      join('arm64', 'bin'),
    ],
  ];
}

/** Every Node the version managers hold: folders named after a version, with a node in them. */
async function installedNodes(env: NodeJS.ProcessEnv, home: string): Promise<InstalledNode[]> {
  const found: InstalledNode[] = [];
  for (const [manager, versions, below] of managerDirs(env, home)) {
    for (const name of await readdir(versions).catch(() => [])) {
      const version = parseNodeVersion(name);
      const bin = join(versions, name, below);
      if (version && (await executable(join(bin, 'node')))) found.push({ version, bin, manager });
    }
  }
  return found;
}

async function executable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/**
 * The absolute folders of PATH, in order. A relative one is left out: it would be read from the
 * checked tree, where a model could have put a `node` of its own.
 */
function pathFolders(env: NodeJS.ProcessEnv): string[] {
  return [...new Set((env.PATH ?? '').split(delimiter).filter((dir) => isAbsolute(dir)))];
}

/** Every `name` on `folders`, in PATH order, each binary once, with its real path (links followed). */
async function everyOnPath(
  name: string,
  folders: readonly string[],
): Promise<{ found: string; real: string }[]> {
  const seen: { found: string; real: string }[] = [];
  for (const dir of folders) {
    if (!(await executable(join(dir, name)))) continue;
    const real = await realpath(join(dir, name)).catch(() => undefined);
    if (real && !seen.some((each) => each.real === real)) seen.push({ found: dir, real });
  }
  return seen;
}

/** What `program args…` prints, or undefined when it cannot run; in the checks' environment, never the factory's. */
function ask(program: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(program, args, { timeout: ASK_TIMEOUT_MS, env: checkEnvironment(env) }, (error, stdout) =>
      resolve(error ? undefined : stdout),
    );
  });
}

/** A Node binary's folders the checks need: its `bin`, and `lib/node_modules` beside it (npm, npx). */
function nodeFolders(realBinary: string): string[] {
  const bin = dirname(realBinary);
  return basename(bin) === 'bin' ? [bin, join(dirname(bin), 'lib', 'node_modules')] : [bin];
}

async function existing(paths: readonly string[]): Promise<string[]> {
  const kept: string[] = [];
  for (const path of paths) if (await realpath(path).catch(() => undefined)) kept.push(path);
  return kept;
}

async function pinOf(root: string): Promise<NodePin | undefined> {
  const read = (name: string) => readFile(join(root, name), 'utf8').catch(() => undefined);
  return nodePinOf({
    '.nvmrc': await read('.nvmrc'),
    '.node-version': await read('.node-version'),
    'package.json': await read('package.json'),
  });
}

/** The chosen Node: its binary (real path), its version when known, and why it was chosen. */
type NodeChoice = { real: string; version?: NodeVersion; why: string };

async function chooseNode(
  options: ToolchainOptions,
  folders: readonly string[],
): Promise<NodeChoice | undefined> {
  if (options.node === 'factory') {
    const real = await realpath(options.factoryNode ?? process.execPath);
    return { real, why: 'the factory\'s own Node (checks.node: "factory")' };
  }
  const onPath = await everyOnPath('node', folders);
  const first = onPath[0];
  if (options.node === 'path')
    return first && { real: first.real, why: 'the node on the PATH (checks.node: "path")' };
  const pin = await pinOf(options.root);
  if (!pin) return first && { real: first.real, why: 'the node on the PATH (the project pins no version)' };
  const pinned = `${pin.source} "${pin.spec}"`;
  // Every node on the PATH, in order: a person with Node 24 first may keep the project's 20 later.
  const versions: NodeVersion[] = [];
  for (const node of onPath) {
    const version = parseNodeVersion((await ask(node.real, ['--version'], options.env)) ?? '');
    if (!version) continue;
    if (pin.matches(version)) {
      const which = node === first ? 'the node on the PATH' : `the node in ${node.found}`;
      return { real: node.real, version, why: `${which}, which fits ${pinned}` };
    }
    versions.push(version);
  }
  const installed = newestMatching(await installedNodes(options.env, options.home ?? homedir()), pin);
  if (installed) {
    const real = await realpath(join(installed.bin, 'node'));
    return { real, version: installed.version, why: `${installed.manager}'s, for ${pinned}` };
  }
  const seen =
    versions.length === 0
      ? 'there is no node on the PATH'
      : `the node${versions.length === 1 ? ' on the PATH is' : 's on the PATH are'} ${versions.map(formatVersion).join(', ')}`;
  throw new FactoryError(
    'config',
    `the checks need the Node that ${pinned} pins, and none is installed: ${seen}, and nvm, fnm, Volta, n, asdf, nodenv and the runner tool cache hold none that fits. Install it (for instance \`nvm install ${pin.spec}\`), or set checks.node: "path" to run the checks with the node on the PATH`,
  );
}

/**
 * The python3 on the PATH, as the checks of a Python project get it: the folder of the
 * interpreter it really runs (past pyenv's shims), to put first on the PATH for python3, and
 * its prefix and base prefix (a virtual environment's and the Python it was made from).
 */
async function choosePython(
  folders: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ bin: string; readOnly: string[] } | undefined> {
  const [python] = await everyOnPath('python3', folders);
  if (!python) return undefined;
  const said = await ask(
    python.real,
    ['-c', 'import sys; print(sys.executable); print(sys.prefix); print(sys.base_prefix)'],
    { ...env, PATH: folders.join(delimiter) },
  );
  const paths = (said ?? '').trim().split('\n');
  if (paths.length !== 3 || !paths.every(isAbsolute)) return undefined;
  const bin = dirname(paths[0]!);
  return { bin, readOnly: [bin, paths[1]!, paths[2]!] };
}

/**
 * `folders` with `dir` just before the first folder that holds `name`, so that `name` is the
 * chosen one while the rest of the PATH keeps its order. Each folder once.
 */
async function putFirstFor(name: string, folders: readonly string[], dir: string): Promise<string[]> {
  let index = 0;
  while (index < folders.length && !(await executable(join(folders[index]!, name)))) index += 1;
  if (folders[index] === dir) return [...folders];
  const head = folders.slice(0, index).filter((folder) => folder !== dir);
  return [...head, dir, ...folders.slice(index).filter((folder) => folder !== dir)];
}

async function isPythonProject(root: string): Promise<boolean> {
  const present = await Promise.all(
    PYTHON_FILES.map((file) =>
      access(join(root, file)).then(
        () => true,
        () => false,
      ),
    ),
  );
  return present.includes(true);
}

/**
 * The toolchain of the project's checks. `checks.node` says which Node: `project` (the default)
 * takes the version the project pins (see `nodePinOf`) from the PATH when its node fits, else
 * from a version manager's folders; with no pin, the node on the PATH. `path` takes the node on
 * the PATH whatever the pin; `factory` the Node the factory runs on. Except with `factory`, the
 * factory's own pinned Node (a dependency of this package, which npm scripts put first on the
 * PATH) is never on the checks' PATH. A Python project also gets its python3's folders.
 * @throws FactoryError (`config`) when the pin cannot be read, or no installed Node fits it,
 *   naming the file, the version and what to do.
 */
export async function resolveCheckToolchain(options: ToolchainOptions): Promise<CheckToolchain> {
  let folders = pathFolders(options.env);
  if (options.node !== 'factory') {
    const pinned = await realpath(
      options.factoryPinned ?? join(PACKAGE_ROOT, 'node_modules', 'node', 'bin', 'node'),
    ).catch(() => undefined);
    const kept: string[] = [];
    for (const dir of folders) {
      const node = await realpath(join(dir, 'node')).catch(() => undefined);
      if (pinned === undefined || node !== pinned) kept.push(dir);
    }
    folders = kept;
  }
  const node = await chooseNode(options, folders);
  let path = folders;
  const readOnly: string[] = [];
  if (node) {
    path = await putFirstFor('node', path, dirname(node.real));
    readOnly.push(...(await existing(nodeFolders(node.real))));
  }
  const python = (await isPythonProject(options.root)) ? await choosePython(folders, options.env) : undefined;
  if (python) {
    path = await putFirstFor('python3', path, python.bin);
    readOnly.push(...python.readOnly);
  }
  return {
    path: path.join(delimiter),
    readOnly: [...new Set(readOnly)],
    ...(node
      ? {
          node: {
            bin: node.real,
            ...(node.version ? { version: formatVersion(node.version) } : {}),
            why: node.why,
          },
        }
      : {}),
  };
}
