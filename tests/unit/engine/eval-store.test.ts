import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EvalRun } from '../../../scripts/core/record/eval-record.ts';
import { EVALS_DIR, readEvalRun, writeEvalRun } from '../../../scripts/engine/eval/eval-store.ts';

const ID = '20261207T101500Z-a1b2';
const run: EvalRun = {
  version: 1,
  run_id: ID,
  agent: 'gpt',
  model: 'openai:gpt-5',
  started_at: '2026-12-07T10:15:00Z',
  finished_at: null,
  task_ids: ['t1'],
  cases: [],
  stopped_by_cap: false,
};

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'aifactory-evals-'));
  await mkdir(join(root, EVALS_DIR), { recursive: true });
});
afterEach(() => rm(root, { recursive: true, force: true }));

const plant = (id: string, text: string) => writeFile(join(root, EVALS_DIR, `${id}.json`), text);

describe('eval run files', () => {
  it('writes a run and reads it back to resume it', async () => {
    await writeEvalRun(root, run);
    expect(await readEvalRun(root, ID)).toEqual(run);
  });

  it('never writes a run that breaks its schema', async () => {
    await expect(writeEvalRun(root, { ...run, run_id: '../escape' })).rejects.toThrow();
    await expect(readFile(join(root, 'shared', 'escape.json'), 'utf8')).rejects.toThrow();
  });

  it('refuses to resume from a file the factory did not write, naming the file and field', async () => {
    await expect(readEvalRun(root, '../../etc/passwd')).rejects.toThrow(
      '--resume: "../../etc/passwd" is not an eval run id',
    );
    await expect(readEvalRun(root, ID)).rejects.toThrow(`--resume: no eval run ${EVALS_DIR}/${ID}.json`);
    await plant(ID, '{ not json');
    await expect(readEvalRun(root, ID)).rejects.toThrow('is not valid JSON');
    await plant(ID, JSON.stringify({ ...run, cases: [{ task_id: 't1', base_sha: 'main; rm -rf /' }] }));
    await expect(readEvalRun(root, ID)).rejects.toThrow(`${EVALS_DIR}/${ID}.json: field "cases.0`);
    await plant(ID, JSON.stringify({ ...run, run_id: '20261207T101500Z-zzzz' }));
    await expect(readEvalRun(root, ID)).rejects.toThrow('holds run 20261207T101500Z-zzzz');
  });
});
