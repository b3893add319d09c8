/** `shared/evals/<run-id>.json`: eval runs, validated on read and written atomically. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FactoryError } from '../../core/errors.ts';
import { EVAL_RUN_ID, type EvalRun, EvalRunSchema } from '../../core/record/eval-record.ts';
import { writeJsonAtomically } from '../../io/atomic-write.ts';

/** Where eval runs live, relative to the repository root. */
export const EVALS_DIR = 'shared/evals';

/** The path of eval run `runId` under `root`. */
export function evalRunPath(root: string, runId: string): string {
  return join(root, EVALS_DIR, `${runId}.json`);
}

/**
 * Reads eval run `runId` to resume it.
 * @throws FactoryError (`config`) when the id is not one, the file is missing, or it is not an
 *   eval run the factory wrote (not JSON, a field out of shape, another run's id inside).
 */
export async function readEvalRun(root: string, runId: string): Promise<EvalRun> {
  if (!EVAL_RUN_ID.test(runId)) {
    throw new FactoryError(
      'config',
      `--resume: "${runId.slice(0, 80)}" is not an eval run id such as 20261207T101500Z-a1b2`,
    );
  }
  const file = `${EVALS_DIR}/${runId}.json`;
  const text = await readFile(evalRunPath(root, runId), 'utf8').catch(() => undefined);
  if (text === undefined) throw new FactoryError('config', `--resume: no eval run ${file}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new FactoryError('config', `--resume: ${file} is not valid JSON; start a new eval run`);
  }
  const parsed = EvalRunSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new FactoryError(
      'config',
      `--resume: ${file}: field "${issue.path.join('.') || '(root)'}": ${issue.message}; start a new eval run`,
    );
  }
  if (parsed.data.run_id !== runId) {
    throw new FactoryError('config', `--resume: ${file} holds run ${parsed.data.run_id}, not ${runId}`);
  }
  return parsed.data;
}

/** Writes `run`, validated first: a run that breaks its schema is a bug, never a file. */
export async function writeEvalRun(root: string, run: EvalRun): Promise<void> {
  await writeJsonAtomically(evalRunPath(root, run.run_id), EvalRunSchema.parse(run), { compare: false });
}

/** How many bytes an eval file may hold before it is skipped unread as damaged. */
const MAX_EVAL_BYTES = 8 * 1024 * 1024;

/**
 * Every readable eval run, and one problem line per file skipped: not JSON, not the schema's
 * shape, too large, or holding a run whose id is not its file's name (a file copied or forged
 * under another name). A missing folder is no eval yet.
 */
export async function readEvalRuns(root: string): Promise<{ runs: EvalRun[]; problems: string[] }> {
  const dir = join(root, EVALS_DIR);
  const names = (await readdir(dir).catch(() => [] as string[]))
    .filter((name) => name.endsWith('.json'))
    .sort();
  const runs: EvalRun[] = [];
  const problems: string[] = [];
  for (const name of names) {
    const where = `${EVALS_DIR}/${name}`;
    const size = (await stat(join(dir, name)).catch(() => undefined))?.size ?? 0;
    if (size > MAX_EVAL_BYTES) {
      problems.push(`${where}: larger than ${MAX_EVAL_BYTES} bytes; skipped`);
      continue;
    }
    const text = await readFile(join(dir, name), 'utf8').catch(() => undefined);
    if (text === undefined) {
      problems.push(`${where}: cannot be read; skipped`);
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      problems.push(`${where}: not JSON (${(error as Error).message}); skipped`);
      continue;
    }
    const parsed = EvalRunSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      problems.push(`${where}: field "${issue.path.join('.')}": ${issue.message}; skipped`);
      continue;
    }
    if (`${parsed.data.run_id}.json` !== name) {
      problems.push(`${where}: holds eval run "${parsed.data.run_id}", not its file's name; skipped`);
      continue;
    }
    runs.push(parsed.data);
  }
  return { runs, problems };
}
