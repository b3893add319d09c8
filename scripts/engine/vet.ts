import { type Agent, grantedAreas } from '../agents/types.ts';
import type { ProtocolConfig } from '../core/config.ts';
import { checkTreeEntries } from '../core/path-tree.ts';
import { checkProposal, type ProtocolViolation } from '../core/protocol.ts';
import { branchFor } from '../core/record-ops.ts';
import type { Rejection } from '../core/run-record.ts';
import type { Task } from '../core/task.ts';
import type { FileChange, Forge } from '../forge/types.ts';
import type { SecretGuard } from './secret-guard.ts';

/**
 * Checks a proposal against the whole protocol before anything is written: the pure rules
 * (paths, declared files, sizes, binary content), then what needs the repository — what the
 * default branch and the task's branch hold on each path (no write through a symlink or a
 * submodule, over a folder or under a file), and the user's ignored files — and a secret scan of
 * every content and path. The first violation rejects the whole proposal; a rejection names the
 * path and line, never the secret (a path holding one is shown redacted).
 */
export async function vetProposal(
  files: readonly FileChange[],
  context: {
    task: Task;
    agent: Agent;
    protocol: ProtocolConfig;
    plugins: readonly string[];
    forge: Forge;
    secrets: SecretGuard;
  },
): Promise<Rejection | undefined> {
  const { task, agent, protocol, plugins, forge, secrets } = context;
  const violation =
    checkProposal(files, {
      allowedDirs: protocol.allowed_top_dirs,
      declaredFiles: task.files,
      grants: grantedAreas(agent.permissions),
      plugins,
      agent: agent.name,
      maxFileBytes: protocol.max_file_bytes,
      maxFiles: protocol.max_files,
      maxTotalBytes: protocol.max_total_bytes,
    }) ?? (await checkRepository(files, task, forge));
  if (violation) return { rule: violation.rule, path: violation.path, message: violation.message };
  const [secret] = await secrets.scan(files);
  if (secret) {
    const where = secret.line > 0 ? `line ${secret.line}` : 'the path';
    return {
      rule: 'secret',
      path: secret.shownPath,
      message: `${where}: ${secret.message}; proposals must never contain credentials`,
    };
  }
  return undefined;
}

/**
 * What the repository says about the paths. The task's branch counts as well as the default
 * branch: a later iteration commits on top of it (a branch not pushed yet holds nothing).
 */
async function checkRepository(
  files: readonly FileChange[],
  task: Task,
  forge: Forge,
): Promise<ProtocolViolation | undefined> {
  const paths = files.map((file) => file.path);
  const branch = branchFor(task.task_id);
  const [onDefault, onBranch] = await Promise.all([
    forge.inspectPaths(paths),
    forge.inspectPaths(paths, branch),
  ]);
  const inTree =
    checkTreeEntries(paths, onDefault, 'the default branch') ??
    checkTreeEntries(paths, onBranch, `branch ${branch}`);
  if (inTree) return inTree;
  const [ignored] = await forge.ignoredPaths(paths);
  if (ignored === undefined) return undefined;
  return {
    rule: 'ignored_path',
    path: ignored,
    message: `"${ignored}" is ignored by the repository's .gitignore rules and not tracked; it is the user's local file, so leave it alone or write another path`,
  };
}
