// The config's side of the security scan: refused values and control-plane grants as findings. Pure.
/**
 * The config's side of the security scan: a config that does not load (for instance one whose
 * `allowed_top_dirs` names a control-plane folder, which would let every agent write it with no
 * person's gate) becomes findings on the lines where the offending values stand, and every grant
 * of a control-plane area becomes an info finding. Pure: config text and issues in, findings out.
 */
import { isControlPlaneDir, NAMED_AREAS } from '../protocol/control-plane.ts';
import { escapeRegExp, finding, findLine, type SecurityFinding } from './security-finding.ts';

/** One reason a config value was refused, as the config loader reports it. */
export interface ConfigIssue {
  /** Dotted path of the field, e.g. `protocol.allowed_top_dirs.0`; `(root)` for the whole config. */
  field: string;
  message: string;
  /** The refused value, when it is a string, number or boolean (what to look for in the text). */
  value?: string | number | boolean;
  /** The key to look for when there is no such value (the field's own name, or an unknown key). */
  key?: string;
}

/** What zod reports about a refused value (the parts this module reads). */
export interface SchemaIssue {
  path: readonly PropertyKey[];
  message: string;
  code?: string;
  keys?: readonly string[];
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

/** Turns schema issues about `input` into config issues that say what to look for in the file. */
export function describeIssues(issues: readonly SchemaIssue[], input: unknown): ConfigIssue[] {
  return issues.map((issue) => {
    const field = issue.path.map(String).join('.') || '(root)';
    const value = valueAt(input, issue.path);
    const names = issue.path.filter((segment): segment is string => typeof segment === 'string');
    const key = issue.code === 'unrecognized_keys' ? issue.keys?.[0] : names.at(-1);
    const primitive = ['string', 'number', 'boolean'].includes(typeof value);
    return {
      field,
      message: issue.message,
      ...(primitive ? { value: value as string | number | boolean } : {}),
      ...(key !== undefined ? { key } : {}),
    };
  });
}

/** The line where the issue's value (after its key, when both are found) or else its key stands; else 1. */
export function locateIssue(text: string, issue: ConfigIssue): number {
  const keyLine =
    issue.key === undefined
      ? undefined
      : findLine(text, new RegExp(`(^|[\\s{,'"])${escapeRegExp(issue.key)}['"]?\\s*:`));
  if (issue.value !== undefined) {
    const literal = escapeRegExp(String(issue.value));
    const pattern =
      typeof issue.value === 'string'
        ? new RegExp(`(['"\`])${literal}\\1`)
        : new RegExp(`(^|[^\\w.])${literal}($|[^\\w.])`);
    const line = findLine(text, pattern, keyLine ?? 1) ?? findLine(text, pattern);
    if (line !== undefined) return line;
  }
  return keyLine ?? 1;
}

/**
 * Findings for a config that did not load: one per issue, at the line of the refused value. An
 * `allowed_top_dirs` entry in the control plane is `control_plane_dir`; anything else is `config`.
 * Without issues (the file could not even be imported), one finding with the loader's message.
 */
export function configFindings(
  file: string,
  text: string,
  issues: readonly ConfigIssue[],
  loadMessage: string,
): SecurityFinding[] {
  if (issues.length === 0) return [finding(file, 1, 'config', `${loadMessage}; fix the config file`)];
  return issues.map((issue) => {
    const line = locateIssue(text, issue);
    const controlPlane =
      /^protocol\.allowed_top_dirs\.\d+$/.test(issue.field) &&
      typeof issue.value === 'string' &&
      isControlPlaneDir(issue.value);
    return controlPlane
      ? finding(
          file,
          line,
          'control_plane_dir',
          `protocol.allowed_top_dirs lists "${issue.value}", a control-plane folder: it would let every agent write there without a grant, so the factory refuses this config; remove it, and if one agent really needs the area, grant it with permissions.control_plane (its pull requests then wait for a person)`,
        )
      : finding(file, line, 'config', `field "${issue.field}": ${issue.message}`);
  });
}

/** An agent with control-plane grants, and where they are written. */
export interface AgentGrant {
  agent: string;
  /** The granted areas (`.github`, `tasks`, `root`, …). */
  areas: readonly string[];
  /** The file that grants them: the config, a plugin or a built-in's module. */
  file: string;
  /** That file's text, to find the line of the grant; without it, line 1. */
  text?: string;
}

/** The line of the agent's `permissions` (after its name, when the name is found), else its name, else 1. */
export function locateGrant(text: string, agent: string): number {
  const nameLine = findLine(text, new RegExp(`(['"\`])${escapeRegExp(agent)}\\1`));
  return findLine(text, /\bpermissions\b/, nameLine ?? 1) ?? nameLine ?? 1;
}

/** Areas as people write them: folders with a trailing `/`, the named areas as they are. */
const NAMED: ReadonlySet<string> = new Set(NAMED_AREAS);

/** One info finding per agent grant: the scan says who may propose control-plane changes. */
export function grantFindings(grants: readonly AgentGrant[]): SecurityFinding[] {
  return grants.map((grant) => {
    const areas = grant.areas.map((area) => (NAMED.has(area) ? area : `${area}/`)).join(', ');
    return {
      file: grant.file,
      line: grant.text === undefined ? 1 : locateGrant(grant.text, grant.agent),
      rule: 'control_plane_grant',
      severity: 'info',
      message: `agent "${grant.agent}" may propose changes to ${areas}; the factory never merges its pull requests there: they wait for a person (needs_human)`,
    };
  });
}
