// Vets a proposal before anything is written: the protocol, what the branches hold on its paths, a secret scan.
import { type Agent, grantedAreas } from '../../agents/types.ts';
import type { ProtocolConfig } from '../../core/config.ts';
import { checkTreeEntries } from '../../core/path-tree.ts';
import { checkProposal, type ProposalPolicy, type ProtocolViolation } from '../../core/protocol/protocol.ts';
import { branchFor } from '../../core/record/record-ops.ts';
import type { Rejection } from '../../core/record/run-record.ts';
import type { Task } from '../../core/task/task.ts';
import { type ValidationContext, validateTasks } from '../../core/task/validate.ts';
import type { FileChange, Forge } from '../../forge/types.ts';
import { isTaskFilePath, TASKS_DIR } from '../store/task-files.ts';
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
    /** What proposed task files are validated against; without it they are judged by the paths alone. */
    tasks?: TaskFileRules;
    /** The task's write scope (globs), for a task without declared files; see PathPolicy.scope. */
    scope?: readonly string[];
  },
): Promise<Rejection | undefined> {
  const { task, forge, secrets, tasks } = context;
  const violation =
    checkProposal(files, proposalPolicy(context)) ?? (await checkRepository(files, task, forge));
  if (violation) return { rule: violation.rule, path: violation.path, message: violation.message };
  const badTask = tasks ? checkTaskFiles(files, tasks) : undefined;
  if (badTask) return badTask;
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

/** What a task's proposals are held to: the config's protocol, the task's files and scope, the agent's grants. */
export function proposalPolicy(context: {
  task: Task;
  agent: Agent;
  protocol: ProtocolConfig;
  plugins: readonly string[];
  scope?: readonly string[] | undefined;
}): ProposalPolicy {
  const { task, agent, protocol, plugins, scope } = context;
  return {
    allowedDirs: protocol.allowed_top_dirs,
    declaredFiles: task.files,
    scope: scope ?? task.scope,
    grants: grantedAreas(agent.permissions),
    plugins,
    controlPlaneDirs: protocol.control_plane_dirs,
    agent: agent.name,
    maxFileBytes: protocol.max_file_bytes,
    maxFiles: protocol.max_files,
    maxTotalBytes: protocol.max_total_bytes,
  };
}

/** What a proposed task file must agree with: the registry and config, and the tasks that exist. */
export interface TaskFileRules {
  context: Omit<ValidationContext, 'otherTaskIds'>;
  /** Ids of the task files the repository holds now. */
  existingIds: ReadonlySet<string>;
}

/**
 * Proposed task files (a planner's, or a harvester's), validated exactly as `validate` would judge
 * them in the repository: the schema, the agents and their grants, the paths, and the dependencies
 * on each other and on the tasks that exist. The first problem rejects the proposal.
 */
function checkTaskFiles(files: readonly FileChange[], rules: TaskFileRules): Rejection | undefined {
  const sources = files
    .filter((file) => isTaskFilePath(file.path))
    .map((file) => ({ path: file.path, text: file.content }));
  if (sources.length === 0) return undefined;
  const proposed = new Set(sources.map((source) => source.path.slice(TASKS_DIR.length + 1, -'.json'.length)));
  const otherTaskIds = new Set([...rules.existingIds].filter((id) => !proposed.has(id)));
  const [problem] = validateTasks(sources, { ...rules.context, otherTaskIds }).problems;
  if (!problem) return undefined;
  return {
    rule: 'task_file',
    path: problem.file,
    message: `line ${problem.line}, field "${problem.field}": ${problem.message} (a proposed task file must pass \`validate\`)`,
  };
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
