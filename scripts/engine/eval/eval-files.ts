/** Reads the eval runs of `shared/evals/` for the snapshots, skipping (and naming) any damaged file. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type EvalRun, EvalRunSchema } from '../../core/record/eval-record.ts';

/** Where `aifactory eval` writes one file per eval run, relative to the repository root. */
export const EVALS_DIR = 'shared/evals';

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
