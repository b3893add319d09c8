// The run store, `shared/runs/`: each task's record read and checked, redacted and written atomically.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FactoryError } from '../../core/errors.ts';
import { type RunRecord, RunRecordSchema } from '../../core/record/run-record.ts';
import { writeJsonAtomically } from '../../io/atomic-write.ts';
import { mapFiles } from '../../io/many-files.ts';

/** Where run records live, relative to the repository root. */
export const RUNS_DIR = 'shared/runs';

/** What the store found in `shared/runs/`: the records it trusts, and the files it skipped. */
export interface RunRecords {
  records: Map<string, RunRecord>;
  /** Task id (from the file name) → why its record was skipped. Those tasks wait for a person. */
  damaged: Map<string, string>;
}

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
 * transition, so a crash leaves the previous complete record. Only the factory writes here, and
 * every read is validated: a file that does not parse, breaks the schema or names another task
 * than its file is skipped with a reason, never trusted and never fatal. With a redactor, every
 * record is redacted as it is written: the one place through which all run state reaches the disk.
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

  /**
   * The record of a task, or undefined when the factory has not touched it.
   * @throws FactoryError (`config`) when the file is damaged, naming it and what to do.
   */
  async read(taskId: string): Promise<RunRecord | undefined> {
    const text = await readFile(this.pathOf(taskId), 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (text === undefined) return undefined;
    const parsed = parseRecord(`${taskId}.json`, text);
    if (!parsed.ok) throw new FactoryError('config', parsed.problem);
    return parsed.record;
  }

  /** Every record, by task id, and every file that was skipped, with its reason. */
  async readAll(): Promise<RunRecords> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const records = new Map<string, RunRecord>();
    const damaged = new Map<string, string>();
    const files = names.filter((entry) => entry.endsWith('.json')).sort();
    // Each text is parsed as it is read and dropped, so only the records stay in memory.
    await mapFiles(
      files.map((name) => join(this.dir, name)),
      (read, index) => {
        const name = files[index]!;
        const parsed =
          'error' in read
            ? { ok: false as const, problem: `${RUNS_DIR}/${name}: cannot be read; ${RESTORE}` }
            : parseRecord(name, read.text);
        if (parsed.ok) records.set(parsed.record.task_id, parsed.record);
        else damaged.set(name.slice(0, -'.json'.length), parsed.problem);
      },
    );
    return { records, damaged };
  }

  async write(record: RunRecord): Promise<void> {
    const clean = this.#redactor ? redactRecord(record, this.#redactor) : record;
    // A save moves the record on: the file is not read first to compare.
    await writeJsonAtomically(this.pathOf(record.task_id), RunRecordSchema.parse(clean), { compare: false });
  }
}

const RESTORE = 'restore it from git, or delete it to start the task over';

/** One record file read and checked: valid JSON, the schema, and a task id that is its file name. */
export function parseRecord(
  name: string,
  text: string,
): { ok: true; record: RunRecord } | { ok: false; problem: string } {
  const file = `${RUNS_DIR}/${name}`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `${file}: not valid JSON (${(error as Error).message}); ${RESTORE}` };
  }
  const parsed = RunRecordSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, problem: `${file}: field "${issue.path.join('.')}": ${issue.message}; ${RESTORE}` };
  }
  if (`${parsed.data.task_id}.json` !== name) {
    return {
      ok: false,
      problem: `${file}: holds the record of task "${parsed.data.task_id}", not of its file name; ${RESTORE}`,
    };
  }
  return { ok: true, record: parsed.data };
}
