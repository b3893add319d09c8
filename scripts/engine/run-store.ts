import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FactoryError } from '../core/errors.ts';
import { type RunRecord, RunRecordSchema } from '../core/run-record.ts';
import { writeJsonAtomically } from '../io/atomic-write.ts';

/** Where run records live, relative to the repository root. */
export const RUNS_DIR = 'shared/runs';

/**
 * Fields of a record whose shape the schema pins (task ids, states, kinds, times): they name the
 * record's file and its state, cannot carry free text, and are kept as they are when redacting.
 */
const PINNED_FIELDS: ReadonlySet<string> = new Set([
  'version',
  'task_id',
  'depends_on',
  'state',
  'kind',
  'result',
  'class',
  'started_at',
  'finished_at',
  'created_at',
  'updated_at',
  'merged_at',
]);

/** Replaces secrets in text; the run's `SecretGuard` is one. */
export interface Redactor {
  redactDeep<T>(value: T, keep?: ReadonlySet<string>): T;
}

/** `record` with the run's secrets redacted from every free-text string in it. */
export function redactRecord(record: RunRecord, redactor: Redactor): RunRecord {
  return redactor.redactDeep(record, PINNED_FIELDS);
}

/**
 * `shared/runs/<task_id>.json`: one record per task, rewritten whole and atomically on every
 * transition, so a crash leaves the previous complete record. With a redactor, every record is
 * redacted as it is written: the one place through which all run state reaches the disk.
 */
export class RunStore {
  readonly dir: string;
  readonly #redactor: Redactor | undefined;

  constructor(root: string, options: { redactor?: Redactor } = {}) {
    this.dir = join(root, RUNS_DIR);
    this.#redactor = options.redactor;
  }

  pathOf(taskId: string): string {
    return join(this.dir, `${taskId}.json`);
  }

  /** The record of a task, or undefined when the factory has not touched it. */
  async read(taskId: string): Promise<RunRecord | undefined> {
    const text = await readFile(this.pathOf(taskId), 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (text === undefined) return undefined;
    return parseRecord(`${RUNS_DIR}/${taskId}.json`, text);
  }

  /** Every record, by task id. A record that does not parse is an error naming its file. */
  async readAll(): Promise<Map<string, RunRecord>> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const records = new Map<string, RunRecord>();
    for (const name of names.filter((entry) => entry.endsWith('.json')).sort()) {
      const text = await readFile(join(this.dir, name), 'utf8');
      const record = parseRecord(`${RUNS_DIR}/${name}`, text);
      records.set(record.task_id, record);
    }
    return records;
  }

  async write(record: RunRecord): Promise<void> {
    const clean = this.#redactor ? redactRecord(record, this.#redactor) : record;
    await writeJsonAtomically(this.pathOf(record.task_id), RunRecordSchema.parse(clean));
  }
}

function parseRecord(file: string, text: string): RunRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new FactoryError(
      'config',
      `${file}: not valid JSON (${(error as Error).message}); restore it from git`,
    );
  }
  const parsed = RunRecordSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new FactoryError('config', `${file}: field "${issue.path.join('.')}": ${issue.message}`);
  }
  return parsed.data;
}
