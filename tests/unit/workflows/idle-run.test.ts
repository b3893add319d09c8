import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commitState, RIDE_ALONG } from '../../../scripts/engine/report/state-publisher.ts';
import { MemoryForge } from '../../fixtures/memory-forge.ts';

/** A scheduled run with nothing to do must do nothing visible: no state commit, so no Pages deploy. */

let root: string | undefined;
afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  root = undefined;
});

async function put(path: string, content: string): Promise<void> {
  await mkdir(join(root!, path, '..'), { recursive: true });
  await writeFile(join(root!, path), content);
}

describe('the state commit of an idle run', () => {
  it('is not made when only the run’s own observations changed', async () => {
    root = await mkdtemp(join(tmpdir(), 'aifactory-idle-'));
    const forge = new MemoryForge();
    forge.main.set('shared/runs/a.json', '{"a":1}\n');
    await put('shared/runs/a.json', '{"a":1}\n');
    for (const path of RIDE_ALONG) await put(path, `{"at":"${path}"}\n`);
    expect([...RIDE_ALONG].sort()).toEqual([
      'shared/status/agent-status.json',
      'shared/status/ci.json',
      'shared/status/run.json',
      'shared/status/summary.json',
    ]);
    expect(await commitState(root, forge, { touched: 0 })).toEqual({ status: 'unchanged' });
    expect(forge.main.has('shared/status/run.json')).toBe(false);
  });

  it('carries the observations along with the first change to a task’s state', async () => {
    root = await mkdtemp(join(tmpdir(), 'aifactory-idle-'));
    const forge = new MemoryForge();
    await put('shared/status/run.json', '{"run":2}\n');
    await put('shared/runs/a.json', '{"a":2}\n');
    const outcome = await commitState(root, forge, { touched: 1 });
    expect(outcome).toMatchObject({
      status: 'committed',
      paths: ['shared/runs/a.json', 'shared/status/run.json'],
    });
    expect(forge.main.get('shared/status/run.json')).toBe('{"run":2}\n');
  });
});
