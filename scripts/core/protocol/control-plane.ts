// The control plane: the paths that steer the factory, which agents write only by a grant, never merged. Pure.
/**
 * The control plane: the paths that decide how the factory behaves (DESIGN.md, "The control plane
 * is not the agents'"). A proposal never writes them unless the config grants the agent that area,
 * and even then the factory never merges such a pull request: it waits for a person. Pure.
 */

import { resolvedName } from './path-names.ts';

/**
 * Folders of the control plane, by their first segment. `shared/` is machine state except for
 * the agents' drop folder, `shared/proposals/`.
 */
export const CONTROL_PLANE_DIRS = [
  'tasks',
  'prompts',
  'scripts',
  'site',
  'shared',
  '.github',
  '.ci',
  '.aifactory',
  'bin',
  'node_modules',
] as const;

/** The one folder under a control-plane folder that agents may write (the seed's drop folder). */
export const AGENT_DROP_DIR = 'shared/proposals';

/** Files that steer installs and builds wherever they sit: manifests and lockfiles. */
const MANIFESTS = new Set([
  'package.json',
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'pnpm-workspace.yaml',
  'bun.lock',
  'bun.lockb',
  '.npmrc',
  '.yarnrc',
  '.yarnrc.yml',
]);

/**
 * Git reads a `.gitattributes` in every folder, and its attributes pick the filters, diff and merge
 * drivers and export rules git applies: a file that changes what git runs and what a review sees.
 */
const GIT_ATTRIBUTES = '.gitattributes';

/** The areas a grant can name besides the control-plane folders. */
export const NAMED_AREAS = ['root', 'manifests', 'gitattributes', 'plugins', 'configured'] as const;

/** What in the control plane a path falls in; `area` is what a grant names. */
export interface ControlPlaneHit {
  /** The grantable area: a folder (`tasks`, `.github`), `root` for files at the top, or another of NAMED_AREAS. */
  area: string;
  /** Why the path belongs to the control plane, for messages. */
  reason: string;
}

/** Everything a control-plane check needs besides the path. */
export interface ControlPlaneOptions {
  /** Plugin modules from the config: the factory imports them, so they and their folder are code it runs. */
  plugins: readonly string[];
  /**
   * More folders the config puts in the control plane (`protocol.control_plane_dirs`): a
   * repository's own safety tests, say, inside a folder agents otherwise write. Area `configured`.
   */
  controlPlaneDirs?: readonly string[];
}

const lower = (text: string): string => text.toLowerCase();

function insideDir(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

function folderOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '' : path.slice(0, slash);
}

/**
 * The control-plane area `path` falls in, or undefined when agents may write it. Compared without
 * regard to case, because a clone on a case-insensitive file system reads `Tasks/` as `tasks/`.
 */
export function controlPlaneHit(path: string, options: ControlPlaneOptions): ControlPlaneHit | undefined {
  const folded = lower(path);
  const segments = folded.split('/');
  const top = segments[0]!;
  // Before the root and the drop folder: git honours the file at any depth, the drop folder included.
  // Resolved as NTFS and HFS+ would, so `.GitAttributes.` is caught here whoever checked its shape.
  if (resolvedName(segments.at(-1)!) === GIT_ATTRIBUTES) {
    return {
      area: 'gitattributes',
      reason: '.gitattributes sets the filters, diff and merge drivers git applies to files',
    };
  }
  if (segments.length === 1) {
    return {
      area: 'root',
      reason: 'files at the repository root (the config, package.json, tool settings) steer the factory',
    };
  }
  if (insideDir(folded, AGENT_DROP_DIR)) return undefined;
  if ((CONTROL_PLANE_DIRS as readonly string[]).includes(top)) {
    return { area: top, reason: `${top}/ is part of the control plane` };
  }
  const name = segments.at(-1)!;
  if (MANIFESTS.has(name)) {
    return { area: 'manifests', reason: `${name} decides what installs and runs` };
  }
  const configured = (options.controlPlaneDirs ?? []).find((dir) => insideDir(folded, lower(dir)));
  if (configured !== undefined) {
    return {
      area: 'configured',
      reason: `${configured}/ is part of the control plane in this repository (protocol.control_plane_dirs)`,
    };
  }
  for (const plugin of options.plugins) {
    const folder = lower(folderOf(plugin));
    if (folded === lower(plugin) || (folder !== '' && insideDir(folded, folder))) {
      return { area: 'plugins', reason: `the factory runs the plugin ${plugin} and its folder` };
    }
  }
  return undefined;
}

/** True when an entry of `allowed_top_dirs` names a control-plane folder (a config mistake). */
export function isControlPlaneDir(dir: string): boolean {
  const folded = lower(dir);
  return (
    !insideDir(folded, AGENT_DROP_DIR) &&
    (CONTROL_PLANE_DIRS as readonly string[]).includes(folded.split('/')[0]!)
  );
}

/** The paths of a change that fall in the control plane, each with its area and reason. */
export function controlPlaneChanges(
  paths: readonly string[],
  options: ControlPlaneOptions,
): { path: string; hit: ControlPlaneHit }[] {
  return paths.flatMap((path) => {
    const hit = controlPlaneHit(path, options);
    return hit ? [{ path, hit }] : [];
  });
}
