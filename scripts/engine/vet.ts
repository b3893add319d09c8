import type { Agent } from '../agents/types.ts';
import type { ProtocolConfig } from '../core/config.ts';
import { checkProposal } from '../core/protocol.ts';
import type { Rejection } from '../core/run-record.ts';
import type { Task } from '../core/task.ts';
import type { FileChange, Forge } from '../forge/types.ts';
import type { SecretGuard } from './secret-guard.ts';

/**
 * Checks a proposal against the whole protocol before anything is written: the pure rules
 * (paths, declared files, sizes, binary content), then what needs the repository (no write
 * through a symlink) and a secret scan of every content and path. The first violation rejects the
 * whole proposal; a rejection names the path and line, never the secret (a path holding one is
 * shown redacted).
 */
export async function vetProposal(
  files: readonly FileChange[],
  context: { task: Task; agent: Agent; protocol: ProtocolConfig; forge: Forge; secrets: SecretGuard },
): Promise<Rejection | undefined> {
  const { task, agent, protocol, forge, secrets } = context;
  const violation = checkProposal(files, {
    allowedTopDirs: protocol.allowed_top_dirs,
    declaredFiles: task.files,
    mayTouchGithub: agent.permissions.github,
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
