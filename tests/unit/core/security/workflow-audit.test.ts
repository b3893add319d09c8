// biome-ignore-all lint/suspicious/noTemplateCurlyInString: GitHub Actions expressions (${{ }}) are the data under test.
import { describe, expect, it } from 'vitest';
import { AUTO_MERGE_ACTIONS, auditWorkflow } from '../../../../scripts/core/security/workflow-audit.ts';

const SHA = 'a0853c24544627f65ddf259abe73b1d18a591444';
const FILE = '.github/workflows/w.yml';

/** A workflow with top-level permissions and one job whose steps are `steps` (indented YAML lines). */
function workflow(steps: string, head = 'on: push\npermissions:\n  contents: read\n'): string {
  return `${head}jobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n${steps}`;
}

/** `line rule` for each finding, in order. */
function found(text: string): string[] {
  return auditWorkflow(FILE, text).map((item) => `${item.line} ${item.rule}`);
}

describe('auditWorkflow: pinned actions', () => {
  it('accepts a full commit SHA, a local action and a docker image pinned by digest', () => {
    const text = workflow(
      [
        `      - uses: actions/checkout@${SHA} # v5`,
        `      - uses: actions/setup-node@${SHA.toUpperCase()}`,
        '      - uses: ./.github/actions/local',
        `      - uses: docker://alpine@sha256:${'0a'.repeat(32)}`,
        '',
      ].join('\n'),
    );
    expect(auditWorkflow(FILE, text)).toEqual([]);
  });

  it('flags a tag, a branch, a short SHA, no version and a docker tag, each on its own line', () => {
    const text = workflow(
      [
        '      - uses: actions/checkout@v4',
        '      - uses: actions/setup-node@main',
        '      - uses: actions/cache@a0853c2',
        '      - uses: someone/action',
        '      - uses: docker://alpine:3.20',
        '',
      ].join('\n'),
    );
    const findings = auditWorkflow(FILE, text);
    expect(findings.map((item) => `${item.line} ${item.rule}`)).toEqual([
      '8 unpinned_action',
      '9 unpinned_action',
      '10 unpinned_action',
      '11 unpinned_action',
      '12 unpinned_action',
    ]);
    expect(findings[0]!.message).toContain('actions/checkout@v4 is pinned to "v4", a tag or branch');
    expect(findings[0]!.message).toContain('full 40-character commit SHA');
    expect(findings[2]!.message).toContain('short SHA');
    expect(findings[3]!.message).toContain('names no version');
    expect(findings[4]!.message).toContain('not pinned by digest');
    expect(findings.every((item) => item.file === FILE && item.severity === 'error')).toBe(true);
  });

  it('checks reusable workflows called by a job, and ignores a uses: that is not a string', () => {
    const text =
      'on: push\npermissions: {}\njobs:\n  call:\n    uses: org/repo/.github/workflows/x.yml@v1\n' +
      '  local:\n    uses: ./.github/workflows/y.yml\n  odd:\n    steps:\n      - uses: 42\n      - uses: [a]\n';
    expect(found(text)).toEqual(['5 unpinned_action']);
  });
});

describe('auditWorkflow: permissions', () => {
  it('flags a workflow without top-level permissions at line 1', () => {
    const findings = auditWorkflow(FILE, workflow('      - run: echo hi\n', 'on: push\n'));
    expect(findings.map((item) => `${item.line} ${item.rule}`)).toEqual(['1 missing_permissions']);
    expect(findings[0]!.message).toContain('permissions: contents: read');
  });

  it('flags write-all at the top and in a job, on the line of the value', () => {
    const text =
      'on: push\npermissions: write-all\njobs:\n  a:\n    permissions: write-all\n    steps: []\n' +
      '  b:\n    permissions: read-all\n    steps: []\n';
    expect(found(text)).toEqual(['2 write_all_permissions', '5 write_all_permissions']);
  });
});

describe('auditWorkflow: pull_request_target', () => {
  const checkout = [
    `      - uses: actions/checkout@${SHA}`,
    '        with:',
    '          ref: ${{ github.event.pull_request.head.sha }}',
    '',
  ].join('\n');

  it('flags the trigger, and the checkout of the head with a stronger message', () => {
    const text = workflow(checkout, 'on:\n  pull_request_target:\n    types: [opened]\npermissions: {}\n');
    const findings = auditWorkflow(FILE, text);
    expect(findings.map((item) => `${item.line} ${item.rule}`)).toEqual([
      '2 pull_request_target',
      '11 pr_head_checkout',
    ]);
    expect(findings[0]!.message).toContain("runs the pull request's own code (line 11)");
    expect(findings[1]!.message).toContain('ref: ${{ github.event.pull_request.head.sha }}');
  });

  it('flags the trigger alone, more mildly, when nothing checks out the head', () => {
    const text = workflow('      - run: echo hi\n', 'on: [push, pull_request_target]\npermissions: {}\n');
    const findings = auditWorkflow(FILE, text);
    expect(findings.map((item) => `${item.line} ${item.rule}`)).toEqual(['1 pull_request_target']);
    expect(findings[0]!.message).toContain("never check out, build or run the pull request's code");
  });

  it('sees the head in repository:, github.head_ref, refs/pull/ and gh pr checkout', () => {
    const steps = [
      `      - uses: actions/checkout@${SHA}`,
      '        with:',
      '          repository: ${{ github.event.pull_request.head.repo.full_name }}',
      `      - uses: actions/checkout@${SHA}`,
      '        with:',
      '          ref: ${{ github.head_ref }}',
      '      - run: |',
      '          git fetch origin refs/pull/7/head',
      '          gh pr checkout 7',
      `      - uses: actions/checkout@${SHA}`,
      '        with:',
      '          ref: main',
      '',
    ].join('\n');
    const text = workflow(steps, 'on: pull_request_target\npermissions: {}\n');
    const heads = auditWorkflow(FILE, text).filter((item) => item.rule === 'pr_head_checkout');
    expect(heads.map((item) => item.line)).toEqual([9, 12, 14, 15]);
  });

  it('leaves a head checkout under pull_request alone', () => {
    expect(found(workflow(checkout, 'on: pull_request\npermissions: {}\n'))).toEqual([]);
  });
});

describe('auditWorkflow: expressions inside run:', () => {
  it('flags ${{ github.event.issue.title }} on the line of the expression itself', () => {
    const steps = [
      '      - run: |',
      '          echo start',
      '          echo "${{ github.event.issue.title }}"',
      '',
    ];
    const findings = auditWorkflow(FILE, workflow(steps.join('\n')));
    expect(findings.map((item) => `${item.line} ${item.rule}`)).toEqual(['10 expression_in_run']);
    expect(findings[0]!.message).toContain('${{ github.event.issue.title }} inside run:');
    expect(findings[0]!.message).toContain('from outside the workflow');
    expect(findings[0]!.message).toContain('env:');
  });

  it('flags every expression, trusted or not, and an unclosed one', () => {
    const steps = [
      '      - run: echo ${{ github.sha }} ${{ steps.x.outputs.y }}',
      '      - run: echo ${{ needs.a.outputs.b',
      `      - run: echo "\${{ format('{0}', '${'x'.repeat(90)}') }}"`,
      '',
    ];
    const findings = auditWorkflow(FILE, workflow(steps.join('\n')));
    expect(findings.map((item) => `${item.line} ${item.rule}`)).toEqual([
      '8 expression_in_run',
      '8 expression_in_run',
      '9 expression_in_run',
      '10 expression_in_run',
    ]);
    const messages = findings.map((item) => item.message);
    expect(messages.filter((message) => message.includes('from outside the workflow'))).toHaveLength(2);
    expect(messages.some((message) => message.includes('its value becomes code'))).toBe(true);
    expect(messages[3]).toMatch(/^\$\{\{ format\(.{60,}…/);
  });

  it('finds an expression hidden behind YAML escapes, at the line of the scalar', () => {
    const findings = auditWorkflow(
      FILE,
      workflow('      - run: "echo \\x24{{ github.event.issue.body }}"\n'),
    );
    expect(findings.map((item) => `${item.line} ${item.rule}`)).toEqual(['8 expression_in_run']);
  });

  it('checks the script of actions/github-script, and no other action input', () => {
    const steps = [
      `      - uses: actions/github-script@${SHA}`,
      '        with:',
      '          script: |',
      '            core.info(`${{ github.event.comment.body }}`)',
      `      - uses: some/action@${SHA}`,
      '        with:',
      '          script: ${{ github.event.comment.body }}',
      '      - run: 5',
      '',
    ];
    expect(found(workflow(steps.join('\n')))).toEqual(['11 expression_in_run']);
  });
});

describe('auditWorkflow: steps that merge pull requests', () => {
  it('flags gh pr merge, the GraphQL mutations, the REST endpoint and octokit, each on its line', () => {
    const steps = [
      '      - run: |',
      '          gh pr merge --auto --squash "$PR"',
      '          gh api graphql -f query="mutation { enablePullRequestAutoMerge(input: $i) { clientMutationId } }"',
      '          gh api graphql -f query="mutation { mergePullRequest(input: $i) { clientMutationId } }"',
      '          curl -X PUT "$API/repos/$REPO/pulls/$PR/merge"',
      '          gh \\',
      '            pr merge 3',
      `      - uses: actions/github-script@${SHA}`,
      '        with:',
      '          script: await github.rest.pulls.merge({ owner, repo, pull_number })',
      '',
    ];
    const findings = auditWorkflow(FILE, workflow(steps.join('\n')));
    expect(findings.map((item) => `${item.line} ${item.rule}`)).toEqual([
      '9 merges_pull_requests',
      '10 merges_pull_requests',
      '11 merges_pull_requests',
      '12 merges_pull_requests',
      '13 merges_pull_requests',
      '17 merges_pull_requests',
    ]);
    expect(findings[0]!.message).toContain('gh pr merge');
    expect(findings[0]!.message).toContain('wait for a person');
  });

  it('flags the known auto-merge actions, pinned or not, and no other action', () => {
    expect(AUTO_MERGE_ACTIONS).toContain('pascalgn/automerge-action');
    expect(AUTO_MERGE_ACTIONS).toContain('peter-evans/enable-pull-request-automerge');
    const steps = [
      `      - uses: pascalgn/automerge-action@${SHA}`,
      `      - uses: Peter-Evans/enable-pull-request-automerge@${SHA}`,
      `      - uses: fastify/github-action-merge-dependabot/sub@${SHA}`,
      `      - uses: pascalgn/automerge-action-fork@${SHA}`,
      '',
    ];
    const findings = auditWorkflow(FILE, workflow(steps.join('\n')));
    expect(findings.map((item) => `${item.line} ${item.rule}`)).toEqual([
      '8 merges_pull_requests',
      '9 merges_pull_requests',
      '10 merges_pull_requests',
    ]);
    expect(findings[1]!.message).toContain('peter-evans/enable-pull-request-automerge merges pull requests');
  });
});

describe('auditWorkflow: YAML', () => {
  it('reports a syntax error at its line and nothing else', () => {
    expect(found('on: push\njobs:\n  a: [\n')).toEqual(['4 workflow_yaml']);
    expect(found('on: push\non: pull_request\n')).toEqual(['2 workflow_yaml']);
  });

  it('reads on: as a name, a list or a mapping, skipping entries that are not names', () => {
    expect(found('on: [push, 7, {a: b}]\npermissions: {}\njobs: {}\n')).toEqual([]);
    expect(found('on:\n  pull_request_target: {}\npermissions: {}\njobs: {}\n')).toEqual([
      '2 pull_request_target',
    ]);
  });

  it('reports a file that is not a mapping', () => {
    expect(found('')).toEqual(['1 workflow_yaml']);
    expect(found('- a\n- b\n')).toEqual(['1 workflow_yaml']);
  });

  it('follows anchors and aliases, and skips keys that are not plain scalars', () => {
    const text = [
      'on: push',
      'permissions: {}',
      '? [odd, key]',
      ': value',
      'jobs:',
      '  a:',
      '    steps: &steps',
      '      - uses: actions/checkout@v4',
      '  b:',
      '    steps: *steps',
      '  c: *steps',
      '',
    ].join('\n');
    // The alias repeats the step's node, so job b reports the same line again.
    expect(found(text)).toEqual(['8 unpinned_action', '8 unpinned_action']);
  });

  it('passes the repository style: pinned, read-only, values through env:', () => {
    const text = [
      'name: ci',
      'on:',
      '  pull_request:',
      '  push:',
      '    branches: [main]',
      'permissions:',
      '  contents: read',
      'jobs:',
      '  test:',
      '    runs-on: ubuntu-latest',
      "    if: ${{ github.event_name == 'push' }}",
      '    steps:',
      `      - uses: actions/checkout@${SHA} # v5.0.0`,
      '        with:',
      '          persist-credentials: false',
      '      - run: echo "$TITLE"',
      '        env:',
      '          TITLE: ${{ github.event.pull_request.title }}',
      '',
    ].join('\n');
    expect(found(text)).toEqual([]);
  });
});
