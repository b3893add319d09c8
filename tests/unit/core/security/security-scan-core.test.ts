import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../../../scripts/core/config.ts';
import {
  configFindings,
  describeIssues,
  grantFindings,
  locateGrant,
  locateIssue,
} from '../../../../scripts/core/security/config-audit.ts';
import {
  escapeRegExp,
  finding,
  findingAnnotation,
  findLine,
  formatFinding,
  sortFindings,
} from '../../../../scripts/core/security/security-finding.ts';
import { workflowCommand } from '../../../../scripts/core/task/annotation.ts';

const CONFIG = [
  "import { defineConfig } from './scripts/core/config.ts';",
  '// scripts are ours',
  'export default defineConfig({',
  '  concurrency: 4,',
  '  protocol: {',
  "    allowed_top_dirs: ['src',",
  "      'scripts'],",
  '    max_files: 0,',
  '  },',
  '});',
  '',
].join('\n');

describe('workflowCommand', () => {
  it('escapes %, CR and LF in the message, and also : and , in properties', () => {
    expect(workflowCommand('error', { file: 'a,b:c.yml', line: 3, title: '100%' }, 'one\r\ntwo 50%')).toBe(
      '::error file=a%2Cb%3Ac.yml,line=3,title=100%25::one%0D%0Atwo 50%25',
    );
  });
});

describe('security findings', () => {
  const error = finding('b.yml', 3, 'unpinned_action', 'pin it');
  const info = { ...finding('a.ts', 9, 'control_plane_grant', 'a grant'), severity: 'info' as const };

  it('print as file:line: [rule] message, info marked', () => {
    expect(formatFinding(error)).toBe('b.yml:3: [unpinned_action] pin it');
    expect(formatFinding(info)).toBe('a.ts:9: [control_plane_grant] info: a grant');
  });

  it('annotate as ::error, or ::notice for info', () => {
    expect(findingAnnotation(error)).toBe('::error file=b.yml,line=3,title=unpinned_action::pin it');
    expect(findingAnnotation(info)).toBe('::notice file=a.ts,line=9,title=control_plane_grant::a grant');
  });

  it('sort by file, line and rule', () => {
    const items = [error, finding('b.yml', 3, 'a_rule', 'x'), finding('b.yml', 1, 'z', 'x'), info];
    expect(sortFindings(items).map((item) => `${item.file}:${item.line}:${item.rule}`)).toEqual([
      'a.ts:9:control_plane_grant',
      'b.yml:1:z',
      'b.yml:3:a_rule',
      'b.yml:3:unpinned_action',
    ]);
  });

  it('find lines from a starting line, and escape text for a pattern', () => {
    expect(findLine('a\nb\na\n', /a/)).toBe(1);
    expect(findLine('a\nb\na\n', /a/, 2)).toBe(3);
    expect(findLine('a\n', /z/)).toBeUndefined();
    expect(new RegExp(escapeRegExp('a.b*(c)')).test('xa.b*(c)')).toBe(true);
  });
});

describe('config issues', () => {
  function issuesOf(input: unknown) {
    const parsed = ConfigSchema.safeParse(input);
    if (parsed.success) throw new Error('expected the config to be refused');
    return describeIssues(parsed.error.issues, input);
  }

  it('carry the field, the refused value and the key to look for', () => {
    expect(issuesOf({ protocol: { allowed_top_dirs: ['src', 'scripts'] } })).toEqual([
      {
        field: 'protocol.allowed_top_dirs.1',
        message: expect.stringContaining('control plane'),
        value: 'scripts',
        key: 'allowed_top_dirs',
      },
    ]);
    expect(issuesOf({ protocol: { max_filez: 1 } })).toEqual([
      { field: 'protocol', message: expect.stringContaining('max_filez'), key: 'max_filez' },
    ]);
    expect(issuesOf('nonsense')).toEqual([
      { field: '(root)', message: expect.any(String), value: 'nonsense' },
    ]);
  });

  it('look no deeper than the value goes, and do without keys', () => {
    const issues = describeIssues(
      [
        { path: ['a', 'b'], message: 'm' },
        { path: [], message: 'm', code: 'unrecognized_keys' },
      ],
      { a: 5 },
    );
    expect(issues).toEqual([
      { field: 'a.b', message: 'm', key: 'b' },
      { field: '(root)', message: 'm' },
    ]);
  });

  it('are found on the line of the value after its key, else anywhere, else at the key, else line 1', () => {
    const at = (issue: Parameters<typeof locateIssue>[1]) => locateIssue(CONFIG, issue);
    expect(
      at({ field: 'protocol.allowed_top_dirs.1', message: '', value: 'scripts', key: 'allowed_top_dirs' }),
    ).toBe(7);
    expect(at({ field: 'x', message: '', value: 'src', key: 'max_files' })).toBe(6);
    expect(at({ field: 'protocol.max_files', message: '', value: 0, key: 'max_files' })).toBe(8);
    expect(at({ field: 'concurrency', message: '', value: 4 })).toBe(4);
    expect(at({ field: 'protocol.max_files', message: '', value: 99, key: 'max_files' })).toBe(8);
    expect(at({ field: 'nope', message: '', key: 'nope' })).toBe(1);
    expect(at({ field: '(root)', message: '' })).toBe(1);
  });
});

describe('configFindings', () => {
  it('names a control-plane folder in allowed_top_dirs at its line', () => {
    const [item] = configFindings(
      'aifactory.config.ts',
      CONFIG,
      [
        {
          field: 'protocol.allowed_top_dirs.1',
          message: 'refused',
          value: 'scripts',
          key: 'allowed_top_dirs',
        },
      ],
      'ignored',
    );
    expect(item).toMatchObject({
      file: 'aifactory.config.ts',
      line: 7,
      rule: 'control_plane_dir',
      severity: 'error',
    });
    expect(item!.message).toContain('"scripts", a control-plane folder');
    expect(item!.message).toContain('without a grant, so the factory refuses this config');
  });

  it('reports any other refused value as config, and a file that did not load at line 1', () => {
    const items = configFindings(
      'c.mjs',
      CONFIG,
      [
        { field: 'protocol.max_files', message: 'too small', value: 0, key: 'max_files' },
        { field: 'protocol.allowed_top_dirs.0', message: 'bad folder', value: 'src/' },
        { field: 'protocol.allowed_top_dirs.0', message: 'bad type', value: 3 },
      ],
      'ignored',
    );
    expect(items.map((item) => `${item.line} ${item.rule} ${item.message}`)).toEqual([
      '8 config field "protocol.max_files": too small',
      '1 config field "protocol.allowed_top_dirs.0": bad folder',
      '1 config field "protocol.allowed_top_dirs.0": bad type',
    ]);
    expect(configFindings('c.mjs', '', [], 'c.mjs: cannot be loaded: boom')).toEqual([
      finding('c.mjs', 1, 'config', 'c.mjs: cannot be loaded: boom; fix the config file'),
    ]);
  });
});

describe('grant findings', () => {
  const builtin = [
    "export default defineAgent({ name: 'other', permissions: {} });",
    'export const x = defineAgent({',
    "  name: 'grok-fast',",
    '  model: "m",',
    '  permissions: { github: true },',
    '});',
  ].join('\n');

  it('point at the permissions after the agent name, else the name, else line 1', () => {
    expect(locateGrant(builtin, 'grok-fast')).toBe(5);
    expect(locateGrant("{ name: 'a' }\n", 'a')).toBe(1);
    expect(locateGrant("\n{ name: 'a' }\n", 'a')).toBe(2);
    expect(locateGrant('nothing here\n', 'a')).toBe(1);
  });

  it('are info findings that say a person merges', () => {
    const items = grantFindings([
      { agent: 'grok-fast', areas: ['.github'], file: 'scripts/agents/builtin/grok-fast.ts', text: builtin },
      { agent: 'planner', areas: ['manifests', 'plugins', 'root', 'tasks'], file: 'p.ts' },
    ]);
    expect(items.map(formatFinding)).toEqual([
      'scripts/agents/builtin/grok-fast.ts:5: [control_plane_grant] info: agent "grok-fast" may propose changes to .github/; the factory never merges its pull requests there: they wait for a person (needs_human)',
      'p.ts:1: [control_plane_grant] info: agent "planner" may propose changes to manifests, plugins, root, tasks/; the factory never merges its pull requests there: they wait for a person (needs_human)',
    ]);
  });
});
