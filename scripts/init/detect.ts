// What `aifactory init` learns of a product's repository: its package manager, checks and Node pin.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PYTHON_FILES } from '../forge/toolchain.ts';
import type { PackageManager } from './workflows.ts';

/** The product as `init` sees it. */
export interface DetectedProject {
  /** Installs the factory and the product's Node dependencies (npm without a lockfile of another). */
  packageManager: PackageManager;
  /** The product's checks, dependencies installed first when it has any; none found: undefined. */
  testCommand?: string;
  /** The checks need the network (to install dependencies); the sandbox denies it otherwise. */
  checksNeedNetwork: boolean;
  /** The product's Node version file, which its checks on GitHub use. */
  nodeVersionFile?: string;
  /**
   * package.json says `"type": "module"`. Elsewhere (no such field, no package.json: a Python
   * project after `npm install`) a `.ts` file is read as CommonJS, so the config is `.mts`.
   */
  esModule: boolean;
}

/** Lockfiles by package manager, looked for in this order. */
const LOCKFILES: readonly [string, PackageManager][] = [
  ['pnpm-lock.yaml', 'pnpm'],
  ['yarn.lock', 'yarn'],
  ['bun.lock', 'bun'],
  ['bun.lockb', 'bun'],
];

/** What `npm init` writes as the test script: no tests at all. */
const NO_TEST_SCRIPT = /no test specified/;

async function text(root: string, path: string): Promise<string | undefined> {
  return readFile(join(root, path), 'utf8').catch(() => undefined);
}

interface PackageJson {
  type?: unknown;
  scripts?: Record<string, unknown>;
  dependencies?: Record<string, unknown>;
  devDependencies?: Record<string, unknown>;
}

function parsePackageJson(source: string | undefined): PackageJson | undefined {
  if (source === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(source);
    return typeof value === 'object' && value !== null ? (value as PackageJson) : undefined;
  } catch {
    return undefined;
  }
}

/** Dependencies the product's tests may need, besides the factory itself. */
function ownDependencies(pkg: PackageJson): string[] {
  return [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})].filter(
    (name) => name !== 'aifactory-os',
  );
}

/**
 * Reads the repository at `root`: a lockfile names the package manager; the test command is the
 * package's `test` script (through that manager), else pytest, `go test ./...` or `cargo test`
 * by the files that mark those projects. Only fixed commands are written, never text read from
 * the repository, so a crafted package.json cannot put a command into a workflow.
 */
export async function detectProject(root: string): Promise<DetectedProject> {
  let packageManager: PackageManager = 'npm';
  for (const [file, manager] of LOCKFILES) {
    if ((await text(root, file)) !== undefined) {
      packageManager = manager;
      break;
    }
  }
  const nodeVersionFile =
    (await text(root, '.nvmrc')) !== undefined
      ? '.nvmrc'
      : (await text(root, '.node-version')) !== undefined
        ? '.node-version'
        : undefined;
  const pkg = parsePackageJson(await text(root, 'package.json'));
  const base = {
    packageManager,
    ...(nodeVersionFile ? { nodeVersionFile } : {}),
    esModule: pkg?.type === 'module',
  };
  const script = pkg?.scripts?.test;
  if (pkg && typeof script === 'string' && !NO_TEST_SCRIPT.test(script)) {
    const needsInstall = ownDependencies(pkg).length > 0;
    const test = `${packageManager} test`;
    return {
      ...base,
      testCommand: needsInstall ? `${installCommandOf(packageManager)} && ${test}` : test,
      checksNeedNetwork: needsInstall,
    };
  }
  for (const file of PYTHON_FILES) {
    if ((await text(root, file)) !== undefined)
      return { ...base, testCommand: 'pytest', checksNeedNetwork: false };
  }
  if ((await text(root, 'go.mod')) !== undefined)
    return { ...base, testCommand: 'go test ./...', checksNeedNetwork: false };
  if ((await text(root, 'Cargo.toml')) !== undefined)
    return { ...base, testCommand: 'cargo test', checksNeedNetwork: false };
  return { ...base, checksNeedNetwork: false };
}

/** The install a check runs before the tests (locked, no scripts of the lockfile's own choosing). */
function installCommandOf(manager: PackageManager): string {
  switch (manager) {
    case 'npm':
      return 'npm ci --no-audit --no-fund';
    case 'pnpm':
      return 'pnpm install --frozen-lockfile';
    case 'yarn':
      return 'yarn install --immutable';
    case 'bun':
      return 'bun install --frozen-lockfile';
  }
}
