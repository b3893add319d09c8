/** In this repository the factory's own test folders are control plane: no agent rewrites its safety tests. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRegistry } from '../../../scripts/agents/registry.ts';
import { controlPlaneChanges } from '../../../scripts/core/protocol/control-plane.ts';
import { checkProposal } from '../../../scripts/core/protocol/protocol.ts';
import { TaskSchema } from '../../../scripts/core/task/task.ts';
import { proposalPolicy } from '../../../scripts/engine/guard/vet.ts';
import { loadConfig } from '../../../scripts/io/config-loader.ts';
import { REPO_ROOT, runCli } from '../../fixtures/cli.ts';

const OWN_TEST = 'tests/unit/core/protocol.test.ts';
const FOLDERS = ['unit', 'integration', 'chaos', 'e2e', 'fixtures', 'bench', 'property'];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aifactory-own-tests-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function policyFor(files: string[], assignee = 'gpt') {
  const config = await loadConfig(REPO_ROOT);
  const registry = await loadRegistry(REPO_ROOT, config);
  const task = TaskSchema.parse({ task_id: 'loosen', description: 'd', assignee, files });
  return {
    config,
    policy: proposalPolicy({
      task,
      agent: registry.require(assignee),
      protocol: config.protocol,
      plugins: config.plugins,
    }),
  };
}

describe("this repository's own tests", () => {
  it('refuse a task file that asks an agent to rewrite tests/unit/core/protocol.test.ts', async () => {
    const file = join(dir, 'loosen.json');
    await writeFile(
      file,
      JSON.stringify({ task_id: 'loosen', description: 'Relax a test', assignee: 'gpt', files: [OWN_TEST] }),
    );
    const result = await runCli(['validate', file]);
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain(
      'tests/unit/ is part of the control plane in this repository (protocol.control_plane_dirs)',
    );
  }, 60_000);

  it('reject a proposal that writes any of them, in any case, while tests/demo/ stays open', async () => {
    const { policy } = await policyFor([]);
    for (const folder of FOLDERS) {
      const violation = checkProposal([{ path: `tests/${folder}/x.test.ts`, content: 'x\n' }], policy);
      expect(violation?.rule, folder).toBe('control_plane');
    }
    expect(checkProposal([{ path: 'Tests/Unit/core/protocol.test.ts', content: 'x\n' }], policy)?.rule).toBe(
      'control_plane',
    );
    expect(checkProposal([{ path: 'tests/demo/slugify.test.ts', content: 'x\n' }], policy)).toBeUndefined();
    expect(checkProposal([{ path: 'tests/units/a.test.ts', content: 'x\n' }], policy)).toBeUndefined();
  });

  it('are never merged by the factory, even from an agent granted them', async () => {
    const { config } = await policyFor([]);
    const hits = controlPlaneChanges([OWN_TEST, 'tests/demo/a.test.ts'], {
      plugins: config.plugins,
      controlPlaneDirs: config.protocol.control_plane_dirs,
    });
    expect(hits.map(({ path, hit }) => [path, hit.area])).toEqual([[OWN_TEST, 'configured']]);
  });
});
