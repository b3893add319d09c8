// Task leases in `.aifactory/leases/`, so two runs on one machine never work on one task.
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { isAlive } from '../../io/process.ts';

/** Lease files live here (ignored by git): one per task being worked on. */
export const LEASES_DIR = '.aifactory/leases';

const LeaseSchema = z.strictObject({
  pid: z.int().positive(),
  host: z.string().min(1),
  acquired_at: z.iso.datetime({ offset: true }),
});
type LeaseBody = z.infer<typeof LeaseSchema>;

/**
 * A lease per task, so two runs on one machine never work on one task. A lease is a file created
 * exclusively (`wx`); a lease left by a process that died (crash, SIGKILL) is taken over.
 * Across machines, the forge's compare-and-swap ref updates are the guard.
 */
export class Leases {
  readonly #dir: string;
  readonly #held = new Set<string>();

  constructor(root: string) {
    this.#dir = join(root, LEASES_DIR);
  }

  /** Takes the lease of `taskId`; false when a live process holds it. */
  async acquire(taskId: string): Promise<boolean> {
    await mkdir(this.#dir, { recursive: true });
    const path = join(this.#dir, `${taskId}.lease`);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        const handle = await open(path, 'wx');
        const body: LeaseBody = { pid: process.pid, host: hostname(), acquired_at: new Date().toISOString() };
        await handle.writeFile(JSON.stringify(body));
        await handle.close();
        this.#held.add(taskId);
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        if (!(await this.#isStale(path))) return false;
        await rm(path, { force: true });
      }
    }
    return false;
  }

  async release(taskId: string): Promise<void> {
    if (!this.#held.delete(taskId)) return;
    await rm(join(this.#dir, `${taskId}.lease`), { force: true });
  }

  async releaseAll(): Promise<void> {
    await Promise.all([...this.#held].map((taskId) => this.release(taskId)));
  }

  async #isStale(path: string): Promise<boolean> {
    const text = await readFile(path, 'utf8').catch(() => '');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // Killed between creating and writing the lease: nobody can be holding it.
      return true;
    }
    // A lease the factory did not write (wrong shape) holds nothing: it is taken over.
    const lease = LeaseSchema.safeParse(value);
    return !lease.success || (lease.data.host === hostname() && !isAlive(lease.data.pid));
  }
}
