import { type Agent, grantedAreas } from '../agents/types.ts';
import type { ProtocolConfig } from '../core/config.ts';
import { checkProposal } from '../core/protocol.ts';
import type { Rejection } from '../core/run-record.ts';
import type { Task } from '../core/task.ts';
import type { FileChange, Forge } from '../forge/types.ts';
import { findSecrets } from './secret-scan.ts';

/**
 * Checks a proposal against the whole protocol before anything is written: the pure rules
 * (paths, declared files, sizes, binary content), then what needs the repository (no write
 * through a symlink) and a secret scan. The first violation rejects the whole proposal.
 */
export async function vetProposal(
  files: readonly FileChange[],
  context: { task: Task; agent: Agent; protocol: ProtocolConfig; plugins: readonly string[]; forge: Forge },
): Promise<Rejection | undefined> {
  const { task, agent, protocol, plugins, forge } = context;
  const violation = checkProposal(files, {
    allowedDirs: protocol.allowed_top_dirs,
    declaredFiles: task.files,
    grants: grantedAreas(agent.permissions),
    plugins,
    agent: agent.name,
    maxFileBytes: protocol.max_file_bytes,
    maxFiles: protocol.max_files,
    maxTotalBytes: protocol.max_total_bytes,
  });
  if (violation) return { rule: violation.rule, path: violation.path, message: violation.message };
  for (const file of files) {
    const link = await forge.symlinkOnPath(file.path);
    if (link !== undefined) {
      return {
        rule: 'symlink',
        path: file.path,
        message: `"${link}" is a symbolic link; the factory never writes through one`,
      };
    }
  }
  const [secret] = await findSecrets(files);
  if (secret) {
    return {
      rule: 'secret',
      path: secret.path,
      message: `line ${secret.line}: ${secret.message}; proposals must never contain credentials`,
    };
  }
  return undefined;
}
