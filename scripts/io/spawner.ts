// Short commands (git, mostly) started by a launcher process, so no start blocks a large run's event loop.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** What a finished command printed, and how it exited. */
export interface Collected {
  code: number;
  stdout: Buffer;
  stderr: Buffer;
}

export interface CollectOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  input?: string;
}

type Answer = { id: number; code: number; stdout: string; stderr: string } | { id: number; error: string };

const HELPER = fileURLToPath(new URL('./spawn-helper.mjs', import.meta.url));

/**
 * Runs short commands (git, mostly) and collects their output, started by a small helper process
 * instead of this one. Starting a process copies the page tables of the process that starts it,
 * so from a run that holds a few hundred megabytes each start blocks the event loop for several
 * milliseconds; from the helper it costs this process a line of JSON each way. The helper starts
 * on the first command, keeps no event loop alive while idle, and is started again if it dies;
 * when it cannot be started at all, commands are started here as before.
 */
class Spawner {
  #helper: ChildProcessWithoutNullStreams | undefined;
  #broken = false;
  #next = 1;
  readonly #waiting = new Map<
    number,
    { resolve: (result: Collected) => void; reject: (error: Error) => void }
  >();

  run(file: string, args: readonly string[], options: CollectOptions): Promise<Collected> {
    const helper = this.#broken ? undefined : this.#start();
    if (!helper) return collectHere(file, args, options);
    const id = this.#next++;
    return new Promise<Collected>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      if (this.#waiting.size === 1) holdEventLoop(helper, true);
      const input = Buffer.from(options.input ?? '').toString('base64');
      helper.stdin.write(
        `${JSON.stringify({ id, file, args, cwd: options.cwd, env: options.env, input })}\n`,
      );
    });
  }

  #start(): ChildProcessWithoutNullStreams | undefined {
    if (this.#helper) return this.#helper;
    let helper: ChildProcessWithoutNullStreams;
    try {
      helper = spawn(process.execPath, [HELPER], {
        // The helper is plain JavaScript: no loader of this process is needed there.
        env: { ...process.env, NODE_OPTIONS: '' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
    } catch {
      this.#broken = true;
      return undefined;
    }
    this.#helper = helper;
    createInterface({ input: helper.stdout, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
      const answer = JSON.parse(line) as Answer;
      const waiter = this.#waiting.get(answer.id);
      if (!waiter) return;
      this.#waiting.delete(answer.id);
      if (this.#waiting.size === 0) holdEventLoop(helper, false);
      if ('error' in answer) waiter.reject(Object.assign(new Error(answer.error), { code: 'ENOENT' }));
      else
        waiter.resolve({
          code: answer.code,
          stdout: Buffer.from(answer.stdout, 'base64'),
          stderr: Buffer.from(answer.stderr, 'base64'),
        });
    });
    helper.stderr.resume();
    helper.stdin.on('error', () => undefined);
    const lost = (started: boolean) => {
      if (this.#helper !== helper) return;
      this.#helper = undefined;
      // Never started: this machine cannot run it, so commands are started here from now on.
      if (!started) this.#broken = true;
      // A command the helper took may have run: it is not started again, the caller is told.
      for (const waiter of this.#waiting.values()) {
        waiter.reject(new Error('the process that starts commands ended before the command answered'));
      }
      this.#waiting.clear();
    };
    let started = false;
    helper.on('spawn', () => (started = true));
    helper.on('error', () => lost(started));
    helper.on('close', () => lost(started));
    holdEventLoop(helper, false);
    return helper;
  }
}

/** Keeps the event loop alive for `child` while an answer is awaited (`busy`), and only then. */
export function holdEventLoop(child: ChildProcessWithoutNullStreams, busy: boolean): void {
  for (const handle of [child, child.stdout, child.stderr, child.stdin] as {
    ref?(): void;
    unref?(): void;
  }[]) {
    if (busy) handle.ref?.();
    else handle.unref?.();
  }
}

/** Starts `file` from this process and collects its output. */
function collectHere(file: string, args: readonly string[], options: CollectOptions): Promise<Collected> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code: code ?? 1, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) }),
    );
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

const spawner = new Spawner();

/**
 * Runs `file` with `args` to the end and collects its output; a failure to start it (no such
 * program) rejects. Meant for short commands, not for ones that run for minutes.
 */
export function collect(file: string, args: readonly string[], options: CollectOptions): Promise<Collected> {
  return spawner.run(file, args, options);
}
