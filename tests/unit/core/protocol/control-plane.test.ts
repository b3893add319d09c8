import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../../../scripts/core/config.ts';
import {
  controlPlaneChanges,
  controlPlaneHit,
  isControlPlaneDir,
} from '../../../../scripts/core/protocol/control-plane.ts';
import { checkWrite, type PathPolicy } from '../../../../scripts/core/protocol/protocol.ts';

const none = { plugins: [] };
const policy: PathPolicy = {
  allowedDirs: ['src', 'docs', 'examples', 'shared/proposals'],
  declaredFiles: [],
  grants: [],
  plugins: ['examples/agents/docs-writer.ts'],
  agent: 'gpt',
};

describe('the control plane', () => {
  it.each([
    ['tasks/new.json', 'tasks'],
    ['prompts/reviewer.md', 'prompts'],
    ['scripts/cli.ts', 'scripts'],
    ['site/pages/index.astro', 'site'],
    ['shared/runs/a.json', 'shared'],
    ['shared/budget/2026-01-01.json', 'shared'],
    ['shared/status/summary.json', 'shared'],
    ['.github/workflows/ci.yml', '.github'],
    ['.ci/run', '.ci'],
    ['bin/aifactory.mjs', 'bin'],
    ['node_modules/zod/index.js', 'node_modules'],
    ['aifactory.config.ts', 'root'],
    ['package.json', 'root'],
    ['tsconfig.json', 'root'],
    ['.npmrc', 'root'],
    ['src/app/package.json', 'manifests'],
    ['docs/yarn.lock', 'manifests'],
    ['src/pnpm-lock.yaml', 'manifests'],
    ['.gitattributes', 'gitattributes'],
    ['src/.gitattributes', 'gitattributes'],
    ['docs/a/b/c/.gitattributes', 'gitattributes'],
    ['shared/proposals/.gitattributes', 'gitattributes'],
    ['tasks/.gitattributes', 'gitattributes'],
  ])('holds %s (area %s)', (path, area) => {
    expect(controlPlaneHit(path, none)?.area).toBe(area);
  });

  it('sees through case, as a case-insensitive file system would', () => {
    expect(controlPlaneHit('Tasks/x.json', none)?.area).toBe('tasks');
    expect(controlPlaneHit('.GitHub/workflows/x.yml', none)?.area).toBe('.github');
    expect(controlPlaneHit('src/Package.JSON', none)?.area).toBe('manifests');
  });

  it('finds .gitattributes under every name a file system folds to it', () => {
    for (const name of [
      '.GitAttributes',
      '.GITATTRIBUTES.',
      '.gitattributes ',
      '.git\u200Cattributes',
      '.gitattributes::$DATA',
    ]) {
      expect(controlPlaneHit(`src/${name}`, none)?.area).toBe('gitattributes');
    }
    // Only the file counts: a folder of that name, or a longer name, is not read by git.
    expect(controlPlaneHit('src/.gitattributes/x.md', none)).toBeUndefined();
    expect(controlPlaneHit('src/.gitattributes.md', none)).toBeUndefined();
  });

  it("leaves the product's folders and the agents' drop folder to the agents", () => {
    for (const path of ['src/a.ts', 'docs/guide.md', 'tests/a.test.ts', 'shared/proposals/idea.md']) {
      expect(controlPlaneHit(path, none)).toBeUndefined();
    }
  });

  it('holds the plugins the factory imports, and their folders', () => {
    const options = { plugins: ['examples/agents/docs-writer.ts', 'plugin.ts'] };
    expect(controlPlaneHit('examples/agents/docs-writer.ts', options)?.area).toBe('plugins');
    expect(controlPlaneHit('examples/agents/helper.ts', options)?.area).toBe('plugins');
    expect(controlPlaneHit('examples/other/x.ts', options)).toBeUndefined();
  });

  it('lists the paths of a change that it holds', () => {
    expect(controlPlaneChanges(['src/a.ts', 'tasks/b.json', 'package.json'], none)).toEqual([
      { path: 'tasks/b.json', hit: expect.objectContaining({ area: 'tasks' }) },
      { path: 'package.json', hit: expect.objectContaining({ area: 'root' }) },
    ]);
  });

  it('tells which configured folders are control plane', () => {
    expect(isControlPlaneDir('scripts')).toBe(true);
    expect(isControlPlaneDir('Shared/runs')).toBe(true);
    expect(isControlPlaneDir('shared/proposals')).toBe(false);
    expect(isControlPlaneDir('src')).toBe(false);
  });
});

describe('writes to the control plane', () => {
  it.each([
    ['tasks/grant-me.json', 'control_plane'],
    ['prompts/reviewer.md', 'control_plane'],
    ['scripts/engine/guard/vet.ts', 'control_plane'],
    ['shared/runs/other.json', 'control_plane'],
    ['shared/budget/2026-11-25.json', 'control_plane'],
    ['aifactory.config.ts', 'control_plane'],
    ['package-lock.json', 'control_plane'],
    ['src/lib/package.json', 'control_plane'],
    ['examples/agents/docs-writer.ts', 'control_plane'],
    ['.github/workflows/evil.yml', 'github_permission'],
    ['src/.gitattributes', 'control_plane'],
    ['shared/proposals/.gitattributes', 'control_plane'],
  ])('refuses %s without a grant (%s)', (path, rule) => {
    const refused = checkWrite(path, policy);
    expect(refused?.rule).toBe(rule);
    expect(refused?.message).toContain('a person then merges them');
  });

  it('allows a granted area, and only that one', () => {
    const granted = { ...policy, grants: ['tasks'] };
    expect(checkWrite('tasks/split-1.json', granted)).toBeUndefined();
    expect(checkWrite('prompts/coder.md', granted)?.rule).toBe('control_plane');
    expect(checkWrite('.github/x.yml', { ...policy, grants: ['.github'] })).toBeUndefined();
    expect(checkWrite('src/.gitattributes', { ...policy, grants: ['gitattributes'] })).toBeUndefined();
    expect(checkWrite('src/.gitattributes', { ...policy, grants: ['root'] })?.rule).toBe('control_plane');
  });

  it('names the grant to give in its message', () => {
    expect(checkWrite('tasks/a.json', policy)?.message).toContain('permissions.control_plane: ["tasks"]');
    expect(checkWrite('.github/a.yml', policy)?.message).toContain('grant permissions.github');
  });
});

describe('the config', () => {
  it.each(['scripts', 'tasks', 'shared', 'shared/runs', 'prompts'])(
    'refuses %s as an allowed folder, pointing at the per-agent grant',
    (dir) => {
      const parsed = ConfigSchema.safeParse({ protocol: { allowed_top_dirs: [dir] } });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.message).toContain('permissions.control_plane');
    },
  );

  it('refuses a folder that is not a clean relative path', () => {
    for (const dir of ['/src', 'src/', '../x', 'a//b']) {
      expect(ConfigSchema.safeParse({ protocol: { allowed_top_dirs: [dir] } }).success).toBe(false);
    }
  });

  it('accepts grants of known areas only', () => {
    const agent = (areas: string[]) => ({
      agents: [{ name: 'planner', role: 'planner', permissions: { control_plane: areas } }],
    });
    expect(ConfigSchema.safeParse(agent(['tasks', 'root', 'gitattributes'])).success).toBe(true);
    expect(ConfigSchema.safeParse(agent(['everything'])).success).toBe(false);
  });

  it('takes in the folders the config names, in any case, granted as `configured`', () => {
    const options = { plugins: [], controlPlaneDirs: ['tests/unit', 'tests/e2e'] };
    expect(controlPlaneHit('tests/unit/core/protocol.test.ts', options)).toEqual({
      area: 'configured',
      reason: 'tests/unit/ is part of the control plane in this repository (protocol.control_plane_dirs)',
    });
    expect(controlPlaneHit('TESTS/E2E/a.spec.ts', options)?.area).toBe('configured');
    expect(controlPlaneHit('tests/unit', options)?.area).toBe('configured');
    expect(controlPlaneHit('tests/units/a.ts', options)).toBeUndefined();
    expect(controlPlaneHit('tests/demo/a.test.ts', options)).toBeUndefined();
    expect(controlPlaneHit('tests/unit/a.ts', none)).toBeUndefined();
    const config = ConfigSchema.parse({ protocol: { control_plane_dirs: ['tests/unit'] } });
    expect(config.protocol.control_plane_dirs).toEqual(['tests/unit']);
    expect(ConfigSchema.parse({}).protocol.control_plane_dirs).toEqual([]);
    expect(ConfigSchema.safeParse({ protocol: { control_plane_dirs: ['../x'] } }).success).toBe(false);
    expect(ConfigSchema.safeParse({ protocol: { control_plane_dirs: ['tests/'] } }).success).toBe(false);
    const granted = {
      ...policy,
      allowedDirs: ['tests'],
      grants: ['configured'],
      controlPlaneDirs: ['tests/unit'],
    };
    expect(checkWrite('tests/unit/a.test.ts', granted)).toBeUndefined();
    expect(checkWrite('tests/unit/a.test.ts', { ...granted, grants: [] })?.rule).toBe('control_plane');
  });

  it('never suggests granting node_modules/ or .aifactory/, which no agent is meant to write', () => {
    const modules = checkWrite('node_modules/zod/index.js', policy);
    expect(modules?.rule).toBe('control_plane');
    expect(modules?.message).toContain('installed packages come from package.json and its lockfile');
    expect(modules?.message).not.toContain('control_plane: ["node_modules"]');
    expect(checkWrite('.aifactory/leases/a.json', policy)?.message).not.toContain('grant');
    expect(checkWrite('tasks/a.json', policy)?.message).toContain(
      'grant permissions.control_plane: ["tasks"]',
    );
  });
});
