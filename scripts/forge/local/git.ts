// Running git: one command and its output, a `forge` error on failure, and a long-lived piped git process.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { FactoryError } from '../../core/errors.ts';
import { collect, holdEventLoop } from '../../io/spawner.ts';

/** The result of one git command. */
export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs git in `cwd`; `input` goes to stdin. Never throws on a non-zero exit (see `git`). */
export async function runGit(
  cwd: string,
  args: readonly string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<GitResult> {
  const env = { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...options.env };
  try {
    const result = await collect('git', args, {
      cwd,
      env,
      ...(options.input === undefined ? {} : { input: options.input }),
    });
    return {
      code: result.code,
      stdout: result.stdout.toString('utf8'),
      stderr: result.stderr.toString('utf8'),
    };
  } catch (error) {
    throw new FactoryError(
      'forge',
      `git could not be started (${(error as Error).message}); install git 2.38 or newer`,
    );
  }
}

/** Runs git and returns its trimmed stdout; a non-zero exit is a `forge` error with git's words. */
export async function git(
  cwd: string,
  args: readonly string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const result = await runGit(cwd, args, options);
  if (result.code !== 0) {
    const detail = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' ');
    throw new FactoryError('forge', `git ${args[0]} failed: ${detail}`);
  }
  return result.stdout.replace(/\n$/, '');
}

/**
 * One long-lived git process that answers requests on stdin in order (`cat-file --batch-command`):
 * a request costs a pipe write instead of a
 * process start. `parse` takes what has arrived and returns the answer and the bytes it used, or
 * undefined until the answer is whole. The process is started on the first request and again
 * after it dies; it keeps no event loop alive while idle, so a run can end without closing it.
 */
export class GitPipe<T> {
  readonly #root: string;
  readonly #args: readonly string[];
  readonly #parse: (buffer: Buffer) => { value: T; used: number } | undefined;

  readonly #pending: {
    parse: (buffer: Buffer) => { value: T; used: number } | undefined;
    resolve: (value: T) => void;
    reject: (error: Error) => void;
  }[] = [];
  #child: ChildProcessWithoutNullStreams | undefined;
  #buffer: Buffer = Buffer.alloc(0);
  #stderr = '';

  constructor(
    root: string,
    args: readonly string[],
    parse: (buffer: Buffer) => { value: T; used: number } | undefined,
  ) {
    this.#root = root;
    this.#args = args;
    this.#parse = parse;
  }

  /** Sends `input` (one whole request) and resolves with its answer, read by `parse` when given. */
  request(
    input: string | Buffer,
    parse: (buffer: Buffer) => { value: T; used: number } | undefined = this.#parse,
  ): Promise<T> {
    const child = this.#start();
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ parse, resolve, reject });
      if (this.#pending.length === 1) holdEventLoop(child, true);
      child.stdin.write(input);
    });
  }

  /** Ends the process; a request still waiting fails. The next request starts a new one. */
  close(): void {
    const child = this.#child;
    this.#child = undefined;
    child?.stdin.end();
    for (const waiter of this.#pending.splice(0)) {
      waiter.reject(new FactoryError('forge', `git ${this.#args[0]} was closed before it answered`));
    }
  }

  #start(): ChildProcessWithoutNullStreams {
    if (this.#child) return this.#child;
    const child = spawn('git', this.#args, {
      cwd: this.#root,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#child = child;
    this.#buffer = Buffer.alloc(0);
    this.#stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (this.#child === child) this.#take(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-2000);
    });
    child.stdin.on('error', () => undefined);
    const fail = (why: string) => {
      // A process closed on purpose has no requests left; those waiting belong to its successor.
      if (this.#child !== child) return;
      this.#child = undefined;
      // git's own reason is its `fatal:` line; what follows it is advice.
      const lines = this.#stderr.trim().split('\n');
      const detail = lines.find((text) => text.startsWith('fatal: ')) ?? lines.slice(-2).join(' ');
      for (const waiter of this.#pending.splice(0)) {
        waiter.reject(new FactoryError('forge', `git ${this.#args[0]} ${why}${detail ? `: ${detail}` : ''}`));
      }
    };
    child.on('error', (error) => fail(`could not be started (${error.message}); install git 2.38 or newer`));
    child.on('close', (code) => fail(`ended (exit ${code ?? 'signal'})`));
    holdEventLoop(child, false);
    return child;
  }

  #take(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const waiter = this.#pending[0];
      if (!waiter) return;
      const parsed = waiter.parse(this.#buffer);
      if (!parsed) return;
      this.#buffer = this.#buffer.subarray(parsed.used);
      this.#pending.shift();
      if (this.#pending.length === 0 && this.#child) holdEventLoop(this.#child, false);
      waiter.resolve(parsed.value);
    }
  }
}
