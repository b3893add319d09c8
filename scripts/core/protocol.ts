/**
 * The write protocol (the seed's `check_protocol`, made strict). Pure: it judges paths and
 * contents; the forge re-checks symlinks on disk at write time.
 */

import { controlPlaneHit } from './control-plane.ts';

/** The rules a write can break, named in run records and validate messages. */
export type ProtocolRule =
  | 'empty_path'
  | 'nul_byte'
  | 'backslash'
  | 'absolute_path'
  | 'parent_segment'
  | 'unclean_path'
  | 'git_dir'
  | 'top_dir'
  | 'undeclared_file'
  | 'github_permission'
  | 'control_plane'
  | 'too_many_files'
  | 'file_too_large'
  | 'total_too_large'
  | 'binary_content';

export interface ProtocolViolation {
  rule: ProtocolRule;
  path: string;
  message: string;
}

/** What a path is checked against. */
export interface PathPolicy {
  /** Folders agents may write (DEFAULT_ALLOWED_TOP_DIRS unless configured); one or more segments each. */
  allowedDirs: readonly string[];
  /** The task's declared files; empty means any allowed path. */
  declaredFiles: readonly string[];
  /** Control-plane areas granted to the agent: it may propose there, and a person merges. */
  grants: readonly string[];
  /** Plugin modules of the config, which the factory runs and agents therefore never write freely. */
  plugins: readonly string[];
  /** The agent's name, for messages. */
  agent: string;
}

function violation(rule: ProtocolRule, path: string, message: string): ProtocolViolation {
  return { rule, path, message };
}

/**
 * Checks that `path` is a clean relative path inside the repository, in the shape of one:
 * no NUL, no backslash, not absolute, no `..`, `.` or empty segment, never inside `.git`.
 */
export function checkPathShape(path: string): ProtocolViolation | undefined {
  if (path.length === 0) return violation('empty_path', path, 'the path is empty');
  if (path.includes('\0')) return violation('nul_byte', path, 'the path contains a NUL byte');
  if (path.includes('\\')) {
    return violation('backslash', path, 'the path contains a backslash; use "/" between folders');
  }
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) {
    return violation('absolute_path', path, 'the path is absolute; write it relative to the repository root');
  }
  const segments = path.split('/');
  if (segments.includes('..')) {
    return violation(
      'parent_segment',
      path,
      'the path climbs out with ".."; paths must stay inside the repository',
    );
  }
  if (segments.some((segment) => segment === '' || segment === '.')) {
    return violation('unclean_path', path, 'the path has an empty or "." segment; write it as a/b/c');
  }
  if (segments.some((segment) => segment.toLowerCase() === '.git')) {
    return violation('git_dir', path, 'the path is inside .git/, which no agent may write');
  }
  return undefined;
}

/**
 * Checks one path against the whole path policy; undefined when the write is allowed. A write to
 * the control plane passes only with a grant, and the pull request then waits for a person.
 */
export function checkWrite(path: string, policy: PathPolicy): ProtocolViolation | undefined {
  const shape = checkPathShape(path);
  if (shape) return shape;
  const hit = controlPlaneHit(path, policy);
  if (hit && !policy.grants.includes(hit.area)) {
    const grant =
      hit.area === '.github'
        ? 'grant permissions.github'
        : `grant permissions.control_plane: ["${hit.area}"]`;
    return violation(
      hit.area === '.github' ? 'github_permission' : 'control_plane',
      path,
      `agent "${policy.agent}" may not write here: ${hit.reason} (${grant} in aifactory.config.ts to let it propose such changes; a person then merges them)`,
    );
  }
  if (!hit && !policy.allowedDirs.some((dir) => path.startsWith(`${dir}/`))) {
    const top = path.split('/')[0]!;
    return violation(
      'top_dir',
      path,
      `"${top}" is not an allowed folder (allowed: ${policy.allowedDirs.join(', ')})`,
    );
  }
  if (policy.declaredFiles.length > 0 && !policy.declaredFiles.includes(path)) {
    return violation('undeclared_file', path, "the path is not among the task's declared files");
  }
  return undefined;
}

/** Limits on a whole proposal, from the config's `protocol` section. */
export interface ProposalPolicy extends PathPolicy {
  maxFiles: number;
  maxFileBytes: number;
  maxTotalBytes: number;
}

/** Text files may hold tabs, newlines and carriage returns; other C0 controls mean binary. */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g;

/** True when content looks binary: a NUL byte, or more than 1 % other control characters. */
export function looksBinary(content: string): boolean {
  if (content.includes('\0')) return true;
  const controls = content.match(CONTROL)?.length ?? 0;
  return controls > 0 && controls / content.length > 0.01;
}

/**
 * Checks a whole proposal before anything is written: every path against the path policy, then
 * the file count, each file's size, the total size and binary content. The first violation
 * rejects the proposal as a whole.
 */
export function checkProposal(
  files: readonly { path: string; content: string }[],
  policy: ProposalPolicy,
): ProtocolViolation | undefined {
  for (const file of files) {
    const pathViolation = checkWrite(file.path, policy);
    if (pathViolation) return pathViolation;
  }
  if (files.length > policy.maxFiles) {
    return violation(
      'too_many_files',
      files[policy.maxFiles]!.path,
      `${files.length} files; at most ${policy.maxFiles}`,
    );
  }
  let total = 0;
  for (const file of files) {
    const bytes = new TextEncoder().encode(file.content).length;
    if (bytes > policy.maxFileBytes) {
      return violation(
        'file_too_large',
        file.path,
        `${bytes} bytes; at most ${policy.maxFileBytes} per file`,
      );
    }
    total += bytes;
    if (total > policy.maxTotalBytes) {
      return violation(
        'total_too_large',
        file.path,
        `the proposal passes ${policy.maxTotalBytes} bytes in all`,
      );
    }
    if (looksBinary(file.content)) {
      return violation(
        'binary_content',
        file.path,
        'the content looks binary; proposals carry text files only',
      );
    }
  }
  return undefined;
}
