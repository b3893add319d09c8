// The workflow audit: unpinned actions, default tokens, `pull_request_target`, `${{ }}` in scripts, merges. Pure.
/**
 * Audits one GitHub Actions workflow file for the mistakes that hand a repository's token and
 * secrets to someone else: actions not pinned to a commit, a default (possibly write-all) token,
 * `pull_request_target` running a pull request's code, `${{ }}` pasted into shell scripts, and
 * steps that merge pull requests outside the factory's gate. Pure: YAML text in, findings out.
 *
 * GitHub's hardening guide: https://docs.github.com/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions
 */
import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { finding, type SecurityFinding, sortFindings } from './security-finding.ts';

/**
 * Actions whose job is to merge pull requests. In a repository the factory runs, they would merge
 * agents' pull requests — control-plane ones included, which must wait for a person.
 */
export const AUTO_MERGE_ACTIONS = [
  'pascalgn/automerge-action',
  'peter-evans/enable-pull-request-automerge',
  'reitermarkus/automerge',
  'ridedott/merge-me-action',
  'fastify/github-action-merge-dependabot',
  'ahmadnassri/action-dependabot-auto-merge',
] as const;

/** Script text that merges a pull request (shell through `gh`/`curl`, or JavaScript through octokit). */
const MERGE_COMMANDS: readonly { pattern: RegExp; what: string }[] = [
  { pattern: /\bgh(?:\s|\\)+pr(?:\s|\\)+merge\b/g, what: 'gh pr merge' },
  { pattern: /\benablePullRequestAutoMerge\b/g, what: 'the enablePullRequestAutoMerge mutation' },
  { pattern: /\bmergePullRequest\b/g, what: 'the mergePullRequest mutation' },
  { pattern: /pulls\/[^\s/'"]+\/merge\b/g, what: 'the REST merge endpoint (pulls/{number}/merge)' },
  { pattern: /\.pulls\.merge\s*\(/g, what: 'octokit pulls.merge()' },
];

/** Contexts whose text someone outside the repository can choose (titles, branch names, inputs, outputs). */
const UNTRUSTED_CONTEXT =
  /github\.event\.|github\.head_ref|inputs\.|steps\.[\w-]+\.outputs|needs\.[\w-]+\.outputs/;

/** A `ref:`/`repository:` that names the pull request's own code. */
const PR_HEAD = /github\.event\.pull_request\.head\.|github\.head_ref|refs\/pull\//;

/** Shell that checks out the pull request's own code. */
const PR_HEAD_IN_SCRIPT = /\bgh(?:\s|\\)+pr(?:\s|\\)+checkout\b|refs\/pull\//g;

const FULL_SHA = /^[0-9a-f]{40}$/i;
const SHORT_SHA = /^[0-9a-f]{7,39}$/i;
const DOCKER_DIGEST = /@sha256:[0-9a-f]{64}$/i;

interface Audit {
  file: string;
  text: string;
  doc: Document;
  lines: LineCounter;
  findings: SecurityFinding[];
  /** Lines where a step checks out the pull request's head. */
  headCheckouts: { line: number; what: string }[];
}

function deref(audit: Audit, node: unknown): unknown {
  return isAlias(node) ? node.resolve(audit.doc) : node;
}

function lineOf(audit: Audit, node: Node): number {
  return audit.lines.linePos(node.range![0]).line;
}

/** The entries of a mapping with plain keys, aliases resolved. */
function entries(audit: Audit, node: unknown): { key: string; keyNode: Node; value: unknown }[] {
  const map = deref(audit, node);
  if (!isMap(map)) return [];
  return map.items.flatMap((pair) =>
    isScalar(pair.key)
      ? [{ key: String(pair.key.value), keyNode: pair.key, value: deref(audit, pair.value) }]
      : [],
  );
}

function field(audit: Audit, node: unknown, key: string): unknown {
  return entries(audit, node).find((entry) => entry.key === key)?.value;
}

/** A string scalar, as a node (for its position) and its value. */
function stringNode(node: unknown): { node: Node; value: string } | undefined {
  return isScalar(node) && typeof node.value === 'string' ? { node, value: node.value } : undefined;
}

function items(audit: Audit, node: unknown): unknown[] {
  const seq = deref(audit, node);
  return isSeq(seq) ? seq.items.map((item) => deref(audit, item)) : [];
}

function add(audit: Audit, line: number, rule: string, message: string): void {
  audit.findings.push(finding(audit.file, line, rule, message));
}

/**
 * Lines where `pattern` (global) matches inside a scalar's source text, so a finding points at the
 * line of the match itself. When only the parsed value matches (the text hides it behind YAML
 * escapes or folding), the scalar's first line.
 */
function matchLines(
  audit: Audit,
  scalar: { node: Node; value: string },
  pattern: RegExp,
): { line: number; text: string }[] {
  const [start, end] = scalar.node.range!;
  const raw = audit.text.slice(start, end);
  const found = [...raw.matchAll(pattern)].map((match) => ({
    line: audit.lines.linePos(start + match.index).line,
    text: match[0],
  }));
  if (found.length > 0) return found;
  const hidden = [...scalar.value.matchAll(pattern)].map((match) => ({
    line: lineOf(audit, scalar.node),
    text: match[0],
  }));
  return hidden.slice(0, 1);
}

function checkPermissions(audit: Audit, node: unknown, where: string): void {
  const value = stringNode(node);
  if (value?.value === 'write-all') {
    add(
      audit,
      lineOf(audit, value.node),
      'write_all_permissions',
      `${where} permissions: write-all gives every step a token that can push, merge and change settings; name only the scopes needed (e.g. contents: read)`,
    );
  }
}

function checkUses(audit: Audit, node: unknown): string | undefined {
  const uses = stringNode(node);
  if (!uses || uses.value.startsWith('./')) return undefined;
  const ref = uses.value;
  const line = lineOf(audit, uses.node);
  if (ref.startsWith('docker://')) {
    if (!DOCKER_DIGEST.test(ref)) {
      add(
        audit,
        line,
        'unpinned_action',
        `${ref} is not pinned by digest; write docker://image@sha256:<digest>`,
      );
    }
    return undefined;
  }
  const at = ref.lastIndexOf('@');
  const version = at === -1 ? '' : ref.slice(at + 1);
  const pin =
    'pin the full 40-character commit SHA, with the tag in a comment (uses: owner/repo@<sha> # v1.2.3)';
  if (at === -1) {
    add(
      audit,
      line,
      'unpinned_action',
      `${ref} names no version, so it runs whatever its default branch holds; ${pin}`,
    );
  } else if (SHORT_SHA.test(version) && !FULL_SHA.test(version)) {
    add(
      audit,
      line,
      'unpinned_action',
      `${ref} is pinned to a short SHA, which another commit can be made to match; ${pin}`,
    );
  } else if (!FULL_SHA.test(version)) {
    add(
      audit,
      line,
      'unpinned_action',
      `${ref} is pinned to "${version}", a tag or branch its owner can move to other code; ${pin}`,
    );
  }
  return (at === -1 ? ref : ref.slice(0, at)).toLowerCase();
}

function checkMergeAction(audit: Audit, action: string | undefined, node: unknown): void {
  const name = AUTO_MERGE_ACTIONS.find((known) => action === known || action?.startsWith(`${known}/`));
  if (name) {
    add(
      audit,
      lineOf(audit, node as Node),
      'merges_pull_requests',
      `${name} merges pull requests outside the factory's gate, agents' control-plane pull requests included (they must wait for a person); remove this step and let the factory merge`,
    );
  }
}

/** `${{ }}` pasted into a script, and merges or head checkouts the script performs. */
function checkScript(audit: Audit, node: unknown, where: string): void {
  const script = stringNode(node);
  if (!script) return;
  for (const { line, text } of matchLines(audit, script, /\$\{\{(?:.*?\}\}|.*$)/gm)) {
    const shown = text.length > 80 ? `${text.slice(0, 77)}…` : text;
    const risk = UNTRUSTED_CONTEXT.test(text)
      ? "holds text from outside the workflow (an issue, a pull request, an input, a step's output), and the script runs it as code"
      : 'is pasted into the script before it runs, so its value becomes code';
    add(
      audit,
      line,
      'expression_in_run',
      `${shown} inside ${where} ${risk}; pass it through env: (env: VALUE: <the expression>) and use "$VALUE"`,
    );
  }
  for (const { pattern, what } of MERGE_COMMANDS) {
    for (const { line } of matchLines(audit, script, pattern)) {
      add(
        audit,
        line,
        'merges_pull_requests',
        `${where} merges pull requests with ${what}, outside the factory's gate, agents' control-plane pull requests included (they must wait for a person); remove it and let the factory merge`,
      );
    }
  }
  for (const { line, text } of matchLines(audit, script, PR_HEAD_IN_SCRIPT)) {
    audit.headCheckouts.push({ line, what: `${where} fetches the pull request's code (${text})` });
  }
}

function checkStep(audit: Audit, step: unknown): void {
  const usesNode = field(audit, step, 'uses');
  const action = checkUses(audit, usesNode);
  checkMergeAction(audit, action, usesNode);
  checkScript(audit, field(audit, step, 'run'), 'run:');
  const inputs = field(audit, step, 'with');
  if (action?.startsWith('actions/github-script'))
    checkScript(audit, field(audit, inputs, 'script'), 'the github-script script:');
  for (const name of ['ref', 'repository']) {
    const value = stringNode(field(audit, inputs, name));
    if (value && PR_HEAD.test(value.value)) {
      audit.headCheckouts.push({
        line: lineOf(audit, value.node),
        what: `${name}: ${value.value} checks out the pull request's code`,
      });
    }
  }
}

/** The events a workflow runs on, with the line of each name. */
function triggers(audit: Audit, on: unknown): { name: string; line: number }[] {
  const single = stringNode(on);
  if (single) return [{ name: single.value, line: lineOf(audit, single.node) }];
  const listed = items(audit, on).flatMap((item) => {
    const name = stringNode(item);
    return name ? [{ name: name.value, line: lineOf(audit, name.node) }] : [];
  });
  const keyed = entries(audit, on).map((entry) => ({ name: entry.key, line: lineOf(audit, entry.keyNode) }));
  return [...listed, ...keyed];
}

function checkPullRequestTarget(audit: Audit, on: unknown): void {
  const checkout = audit.headCheckouts[0];
  for (const trigger of triggers(audit, on).filter((event) => event.name === 'pull_request_target')) {
    add(
      audit,
      trigger.line,
      'pull_request_target',
      checkout
        ? `pull_request_target runs with the base repository's write token and secrets, and this workflow runs the pull request's own code (line ${checkout.line}): anyone who opens a pull request gets them; use pull_request`
        : "pull_request_target runs with the base repository's write token and secrets on pull requests from anyone; use pull_request, or never check out, build or run the pull request's code here",
    );
    for (const { line, what } of audit.headCheckouts) {
      add(
        audit,
        line,
        'pr_head_checkout',
        `${what} under pull_request_target, with write token and secrets; use pull_request for anything that runs it`,
      );
    }
  }
}

/** Every finding in one workflow file (`file` is how findings name it), sorted by line. */
export function auditWorkflow(file: string, text: string): SecurityFinding[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const audit: Audit = { file, text, doc, lines, findings: [], headCheckouts: [] };
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      add(
        audit,
        lines.linePos(error.pos[0]).line,
        'workflow_yaml',
        `${error.message}; GitHub will not run this workflow until the YAML is fixed`,
      );
    }
    return audit.findings;
  }
  const root = deref(audit, doc.contents);
  if (!isMap(root)) {
    add(
      audit,
      1,
      'workflow_yaml',
      'a workflow is a YAML mapping with on: and jobs:; GitHub will not run this file',
    );
    return audit.findings;
  }
  const permissions = field(audit, root, 'permissions');
  if (permissions === undefined) {
    add(
      audit,
      1,
      'missing_permissions',
      'no top-level permissions:, so every job gets the repository\'s default token, which can be read-write; add "permissions: contents: read" (or {}) at the top and widen it per job',
    );
  }
  checkPermissions(audit, permissions, 'top-level');
  for (const job of entries(audit, field(audit, root, 'jobs'))) {
    checkPermissions(audit, field(audit, job.value, 'permissions'), `job ${job.key}:`);
    checkUses(audit, field(audit, job.value, 'uses'));
    for (const step of items(audit, field(audit, job.value, 'steps'))) checkStep(audit, step);
  }
  checkPullRequestTarget(audit, field(audit, root, 'on'));
  return sortFindings(audit.findings);
}
