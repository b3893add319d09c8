// The write protocol: each path's shape, folder, scope and grant, and a proposal's file count and sizes. Pure.
/**
 * The write protocol (the seed's `check_protocol`, made strict). Pure: it judges paths and
 * contents; what the repository holds on those paths is judged in path-tree.ts, from what the
 * forge reports.
 */

import { globMatches } from '../glob.ts';
import { controlPlaneHit } from './control-plane.ts';
import { gitNameProblem, type SegmentRule, segmentNameProblem, utf8Length } from './path-names.ts';

/** The rules a write can break, named in run records and validate messages. */
export type ProtocolRule =
  | 'empty_path'
  | 'path_too_long'
  | 'nul_byte'
  | 'backslash'
  | 'absolute_path'
  | 'parent_segment'
  | 'unclean_path'
  | 'malformed_unicode'
  | 'not_nfc'
  | SegmentRule
  | 'name_collision'
  | 'file_folder_collision'
  | 'top_dir'
  | 'undeclared_file'
  | 'out_of_scope'
  | 'github_permission'
  | 'control_plane'
  | 'too_many_files'
  | 'file_too_large'
  | 'total_too_large'
  | 'binary_content'
  | 'symlink'
  | 'submodule'
  | 'file_replaces_folder'
  | 'path_under_file'
  | 'ignored_path';

export interface ProtocolViolation {
  rule: ProtocolRule;
  path: string;
  message: string;
}

/** Linux's PATH_MAX: a longer path cannot be opened whole there. */
export const MAX_PATH_BYTES = 4096;

/** What a path is checked against. */
export interface PathPolicy {
  /** Folders agents may write (DEFAULT_ALLOWED_TOP_DIRS unless configured); one or more segments each. */
  allowedDirs: readonly string[];
  /** The task's declared files; empty means any allowed path. */
  declaredFiles: readonly string[];
  /**
   * The task's `scope`: globs a task without declared files may write, inside the allowed
   * folders; absent or empty means anywhere there. Declared files, when a task has them, decide alone.
   */
  scope?: readonly string[] | undefined;
  /** Control-plane areas granted to the agent: it may propose there, and a person merges. */
  grants: readonly string[];
  /** Plugin modules of the config, which the factory runs and agents therefore never write freely. */
  plugins: readonly string[];
  /** The config's `protocol.control_plane_dirs`: more folders of the control plane. */
  controlPlaneDirs?: readonly string[];
  /** The agent's name, for messages. */
  agent: string;
}

function violation(rule: ProtocolRule, path: string, message: string): ProtocolViolation {
  return { rule, path, message };
}

/**
 * Checks that `path` is a clean relative path inside the repository, in the shape of one, that
 * every file system reads as itself: no NUL, no backslash, not absolute, no `..`, `.` or empty
 * segment, nothing git or a file system reads as `.git` or `.gitmodules` (in any segment), no name
 * Windows or macOS cannot hold, well-formed Unicode in NFC, at most 4096 bytes.
 */
export function checkPathShape(path: string): ProtocolViolation | undefined {
  if (path.length === 0) return violation('empty_path', path, 'the path is empty');
  // Measured first, so a huge path costs one pass and nothing more.
  const bytes = utf8Length(path);
  if (bytes > MAX_PATH_BYTES) {
    return violation(
      'path_too_long',
      path.slice(0, 200),
      `the path is ${bytes} bytes; at most ${MAX_PATH_BYTES} (UTF-8)`,
    );
  }
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
  if (/\p{Cs}/u.test(path)) {
    return violation(
      'malformed_unicode',
      path,
      'the path holds a lone UTF-16 surrogate, which no file system stores as given; send valid Unicode',
    );
  }
  // Git's names first, in every segment: they are what an attack on the repository aims at.
  for (const check of [gitNameProblem, segmentNameProblem]) {
    for (const segment of segments) {
      const problem = check(segment);
      if (problem) return violation(problem.rule, path, problem.message);
    }
  }
  if (path.normalize('NFC') !== path) {
    return violation(
      'not_nfc',
      path,
      'the path is not in Unicode NFC form, and macOS would store it under another one; write accented letters precomposed (NFC)',
    );
  }
  return undefined;
}

/**
 * The name under which Windows and macOS find a path: case and Unicode normalisation do not
 * tell two files apart there.
 */
export function collisionKey(path: string): string {
  return path.normalize('NFC').toLowerCase();
}

/**
 * Checks that the paths of one proposal can live side by side in one checkout on any file
 * system: no two name the same file once case and Unicode normalisation are ignored, and none
 * is a folder of another (`src/a` and `src/a/b`).
 */
export function checkPathSet(paths: readonly string[]): ProtocolViolation | undefined {
  const byKey = new Map<string, string>();
  for (const path of paths) {
    const key = collisionKey(path);
    const other = byKey.get(key);
    if (other !== undefined) {
      return violation(
        'name_collision',
        path,
        `"${path}" and "${other}" are one file on Windows and macOS (case or Unicode form differ only); write just one of them`,
      );
    }
    byKey.set(key, path);
  }
  for (const path of paths) {
    const segments = collisionKey(path).split('/');
    for (let length = 1; length < segments.length; length += 1) {
      const file = byKey.get(segments.slice(0, length).join('/'));
      if (file !== undefined) {
        return violation(
          'file_folder_collision',
          path,
          `"${file}" is written as a file, but "${path}" needs it to be a folder; write only one of them`,
        );
      }
    }
  }
  return undefined;
}

/** Control-plane areas that no agent is meant to be granted: a hint to grant them would mislead. */
const NOT_FOR_AGENTS: Readonly<Record<string, string>> = {
  node_modules:
    'installed packages come from package.json and its lockfile, which a person changes; no proposal writes node_modules/',
  '.aifactory': "the factory's machine-local state; only the factory writes it",
};

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
      NOT_FOR_AGENTS[hit.area] ??
      `${hit.area === '.github' ? 'grant permissions.github' : `grant permissions.control_plane: ["${hit.area}"]`} in aifactory.config.ts to let it propose such changes; a person then merges them`;
    return violation(
      hit.area === '.github' ? 'github_permission' : 'control_plane',
      path,
      `agent "${policy.agent}" may not write here: ${hit.reason} (${grant})`,
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
  const scope = policy.scope ?? [];
  if (
    policy.declaredFiles.length === 0 &&
    scope.length > 0 &&
    !scope.some((glob) => globMatches(glob, path))
  ) {
    return violation(
      'out_of_scope',
      path,
      `the path is outside the task's scope (${scope.join(', ')}); write only paths it matches`,
    );
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
 * Checks a whole proposal before anything is written: every path against the path policy, the
 * paths against each other, then the file count, each file's size, the total size and binary content. The first violation
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
  const setViolation = checkPathSet(files.map((file) => file.path));
  if (setViolation) return setViolation;
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
