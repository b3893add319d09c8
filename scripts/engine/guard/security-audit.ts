// The I/O of `aifactory security-scan`: reads files, shared/, workflows and config for the pure audits.
/**
 * The I/O around `aifactory security-scan`: reads the repository's files (tracked, and untracked
 * unless ignored), `shared/`, the
 * workflows and the config, and hands them to the pure audits in `scripts/core`.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadRegistry } from '../../agents/registry.ts';
import { grantedAreas } from '../../agents/types.ts';
import type { Config } from '../../core/config.ts';
import { FactoryError } from '../../core/errors.ts';
import { type AgentGrant, configFindings, grantFindings } from '../../core/security/config-audit.ts';
import { finding, type SecurityFinding, sortFindings } from '../../core/security/security-finding.ts';
import { auditWorkflow } from '../../core/security/workflow-audit.ts';
import { runGit } from '../../forge/local/git.ts';
import { ConfigError, findConfigFile, loadConfig } from '../../io/config-loader.ts';
import { SecretGuard } from './secret-guard.ts';

/** Where GitHub looks for workflows (not in subfolders). */
export const WORKFLOWS_DIR = '.github/workflows';
/** Machine state the factory writes; scanned for secrets even before it is committed. */
const SHARED_DIR = 'shared';
/** Git's own test for binary content: a NUL byte in the first 8,000 bytes. */
const BINARY_SNIFF_BYTES = 8000;

export interface SecurityScanReport {
  /** Errors and info findings, sorted by file and line. */
  findings: SecurityFinding[];
  /** What was read: text files searched for secrets, workflow files, the config file (if any). */
  scanned: { files: number; workflows: number; config: string | null };
}

const toPosix = (path: string): string => path.split(sep).join('/');

/**
 * The files of the repository under `root`, relative to it: tracked ones, and untracked ones that
 * no ignore rule (`.gitignore`, `.git/info/exclude`, the global excludes) hides. A key pasted into
 * a new file is one `git add -A` away from a commit, so the scan reads it before that happens.
 * Not a git repository: a `config` error.
 */
async function repositoryFiles(root: string): Promise<string[]> {
  const result = await runGit(root, ['ls-files', '-z', '--cached', '--others', '--exclude-standard']);
  if (result.code !== 0) {
    const reason = result.stderr.trim().split('\n')[0] ?? '';
    throw new FactoryError(
      'config',
      `cannot list the repository's files (${reason}); run security-scan in a git repository`,
    );
  }
  return result.stdout.split('\0').filter((path) => path !== '');
}

/** Every regular file under `dir` (relative to `root`), never following a symbolic link. */
async function filesUnder(root: string, dir: string): Promise<string[]> {
  const entries = await readdir(join(root, dir), { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(
    entries.map(async (entry) => {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) return filesUnder(root, path);
      return entry.isFile() ? [path] : [];
    }),
  );
  return nested.flat();
}

/** A regular file's text, or undefined for a link, a folder, a missing file or binary content. */
async function readText(root: string, path: string): Promise<string | undefined> {
  const absolute = join(root, path);
  const info = await lstat(absolute).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  const bytes = await readFile(absolute);
  if (bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0)) return undefined;
  return bytes.toString('utf8');
}

/**
 * A line of a repository file that says `aifactory:allow-secret` holds a fake credential on purpose
 * (a test's planted key). Only this repository scan honours the marker: the scan of a proposal
 * never does, so a model cannot use it to slip a secret past the factory.
 */
export const ALLOW_SECRET_MARKER = 'aifactory:allow-secret';

function allowedByPerson(lines: readonly string[] | undefined, line: number): boolean {
  return line > 0 && (lines?.[line - 1]?.includes(ALLOW_SECRET_MARKER) ?? false);
}

async function secretFindings(root: string): Promise<{ findings: SecurityFinding[]; files: number }> {
  const paths = [...new Set([...(await repositoryFiles(root)), ...(await filesUnder(root, SHARED_DIR))])]
    .filter((path) => !path.split('/').includes('node_modules'))
    .sort();
  const files: { path: string; content: string }[] = [];
  for (const path of paths) {
    const content = await readText(root, path);
    if (content !== undefined) files.push({ path, content });
  }
  // The detector's own message is left out: whatever it says, the scan never repeats a secret.
  // The environment's own keys count too: a key pasted into a file is found whatever its format.
  const found = await SecretGuard.fromEnv(process.env).scan(files);
  const contents = new Map(files.map((file) => [file.path, file.content.split('\n')]));
  const findings = found
    .filter((secret) => !allowedByPerson(contents.get(secret.path), secret.line))
    .map((secret) =>
      finding(
        secret.shownPath,
        secret.line,
        'secret',
        `looks like a credential (detected by ${secret.rule}); remove it, and revoke it if it was ever real: git history keeps it`,
      ),
    );
  return { findings, files: files.length };
}

async function workflowFindings(root: string): Promise<{ findings: SecurityFinding[]; workflows: number }> {
  const names = (await readdir(join(root, WORKFLOWS_DIR)).catch(() => [] as string[]))
    .filter((name) => /\.ya?ml$/.test(name))
    .sort();
  const findings: SecurityFinding[] = [];
  let workflows = 0;
  for (const name of names) {
    const path = `${WORKFLOWS_DIR}/${name}`;
    const text = await readText(root, path);
    if (text === undefined) continue;
    workflows += 1;
    findings.push(...auditWorkflow(path, text));
  }
  return { findings, workflows };
}

/** Where an agent's grant is written: its config entry, its plugin, or the built-in's module. */
async function grantSource(
  root: string,
  config: Config,
  configFile: string | undefined,
  agent: string,
): Promise<{ file: string; absolute: string }> {
  if (configFile && config.agents.some((entry) => entry.name === agent && entry.permissions)) {
    return { file: configFile, absolute: join(root, configFile) };
  }
  for (const plugin of config.plugins) {
    const module = (await import(pathToFileURL(join(root, plugin)).href)) as { default?: { name?: unknown } };
    if (module.default?.name === agent) return { file: plugin, absolute: join(root, plugin) };
  }
  const absolute = fileURLToPath(new URL(`../../agents/builtin/${agent}.ts`, import.meta.url));
  const inside = toPosix(relative(root, absolute));
  return { file: inside.startsWith('..') ? `scripts/agents/builtin/${agent}.ts` : inside, absolute };
}

async function configAudit(root: string): Promise<{ findings: SecurityFinding[]; config: string | null }> {
  let config: Config;
  try {
    config = await loadConfig(root);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const text = (await readText(root, error.file)) ?? '';
    return { findings: configFindings(error.file, text, error.issues, error.message), config: error.file };
  }
  const file = (await findConfigFile(root)) ?? null;
  let registry: Awaited<ReturnType<typeof loadRegistry>>;
  try {
    registry = await loadRegistry(root, config);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { findings: configFindings(file ?? 'aifactory.config.ts', '', [], message), config: file };
  }
  const grants: AgentGrant[] = [];
  for (const agent of registry.list()) {
    const areas = grantedAreas(agent.permissions);
    if (areas.length === 0) continue;
    const source = await grantSource(root, config, file ?? undefined, agent.name);
    const text = await readFile(source.absolute, 'utf8').catch(() => undefined);
    grants.push({ agent: agent.name, areas, file: source.file, ...(text !== undefined ? { text } : {}) });
  }
  return { findings: grantFindings(grants), config: file };
}

/**
 * Scans the repository at `root`: secrets in its files (tracked, and untracked unless ignored)
 * and in `shared/`, the workflows, and the
 * control-plane rules of the config. Throws a `config` error only when it cannot scan at all
 * (not a git repository); everything it finds is a finding.
 */
export async function scanRepository(root: string): Promise<SecurityScanReport> {
  const secrets = await secretFindings(root);
  const workflows = await workflowFindings(root);
  const config = await configAudit(root);
  return {
    findings: sortFindings([...secrets.findings, ...workflows.findings, ...config.findings]),
    scanned: { files: secrets.files, workflows: workflows.workflows, config: config.config },
  };
}
