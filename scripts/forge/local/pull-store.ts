// The local forge's pull requests: a JSON record per number in `<git-dir>/aifactory/pulls/`, written atomically.
import { randomUUID } from 'node:crypto';
import { link, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { FactoryError } from '../../core/errors.ts';
import { ReviewCommentSchema } from '../../core/record/verdict.ts';
import { writeJsonAtomically } from '../../io/atomic-write.ts';
import { parseStoredJson } from './stored-json.ts';

/** A local pull request: what GitHub would keep for it. */
export const PullRecordSchema = z.object({
  number: z.int().positive(),
  branch: z.string(),
  title: z.string(),
  body: z.string(),
  state: z.enum(['open', 'merged', 'closed']),
  head: z.string(),
  merge_commit: z.string().nullable(),
  labels: z.array(z.string()).default([]),
  /** Comments by key (`Forge.commentOnce`). */
  comments: z.array(z.object({ key: z.string(), body: z.string() })).default([]),
  reviews: z.array(
    z.object({
      agent: z.string(),
      verdict: z.enum(['approve', 'request_changes']),
      summary: z.string(),
      comments: z.array(ReviewCommentSchema),
      /** The head and iteration reviewed; absent in records of older versions. */
      commit: z.string().optional(),
      iteration: z.int().positive().optional(),
    }),
  ),
});
export type PullRecord = z.infer<typeof PullRecordSchema>;

/**
 * The local forge's pull requests: one JSON file per number in `<git-dir>/aifactory/pulls/`,
 * written atomically, so they survive crashes and never show in the working tree.
 */
export class PullStore {
  readonly #dir: string;
  /** Pull request numbers by branch, as last seen: a number, once taken, never changes branch. */
  readonly #byBranch = new Map<string, number>();
  /** The numbers whose branch is in `#byBranch`: a lookup reads only records it has not seen. */
  readonly #seen = new Set<number>();

  constructor(gitDir: string) {
    this.#dir = join(gitDir, 'aifactory', 'pulls');
  }

  /**
   * The pull request of `branch`, if there is one. A record is read for its branch once per
   * store: a run of N tasks reads each record once for its lookups, not N times.
   */
  async findByBranch(branch: string): Promise<PullRecord | undefined> {
    const known = this.#byBranch.get(branch);
    if (known !== undefined) {
      const record = await this.read(known).catch(() => undefined);
      if (record?.branch === branch) return record;
      this.#forget(known);
    }
    const names = await readdir(this.#dir).catch(() => [] as string[]);
    let found: PullRecord | undefined;
    for (const name of names) {
      const number = /^(\d+)\.json$/.exec(name)?.[1];
      if (number === undefined || this.#seen.has(Number(number))) continue;
      const record = await this.read(Number(number));
      this.#remember(record);
      if (record.branch === branch && (found === undefined || record.number < found.number)) found = record;
    }
    // A lookup running at once may have read the record this one skipped as seen.
    const first = this.#byBranch.get(branch);
    if (first === undefined || first === found?.number) return found;
    const record = await this.read(first).catch(() => undefined);
    return record?.branch === branch ? record : found;
  }

  /** Notes the branch of `record`; of two records of one branch, the first number counts. */
  #remember(record: PullRecord): void {
    this.#seen.add(record.number);
    const known = this.#byBranch.get(record.branch);
    if (known === undefined || record.number < known) this.#byBranch.set(record.branch, record.number);
  }

  #forget(number: number): void {
    this.#seen.delete(number);
    for (const [branch, known] of this.#byBranch) if (known === number) this.#byBranch.delete(branch);
  }

  async read(number: number): Promise<PullRecord> {
    const path = join(this.#dir, `${number}.json`);
    const text = await readFile(path, 'utf8').catch(() => {
      throw new FactoryError('forge', `pull request #${number} does not exist`);
    });
    return parseStoredJson(
      text,
      PullRecordSchema,
      path,
      `restore it from a backup, or remove it to forget pull request #${number}`,
    );
  }

  async write(record: PullRecord): Promise<void> {
    // Written only when something changed: the file is not read again to compare.
    await writeJsonAtomically(join(this.#dir, `${record.number}.json`), record, { compare: false });
  }

  /**
   * Claims the next free number: the whole record is written to a temporary file first, then
   * hard-linked to `<n>.json`, which fails if another process took `n`. A crash leaves either no
   * pull request or a whole one, never an empty file.
   */
  async create(record: PullRecord): Promise<number> {
    await mkdir(this.#dir, { recursive: true });
    const taken = (await readdir(this.#dir)).map((name) => Number.parseInt(name, 10)).filter(Number.isFinite);
    const temporary = join(this.#dir, `.claim-${process.pid}-${randomUUID()}`);
    try {
      for (let number = Math.max(0, ...taken) + 1; ; number += 1) {
        await writeFile(temporary, JSON.stringify({ ...record, number }));
        try {
          await link(temporary, join(this.#dir, `${number}.json`));
          this.#remember({ ...record, number });
          return number;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
      }
    } finally {
      await rm(temporary, { force: true });
    }
  }
}
