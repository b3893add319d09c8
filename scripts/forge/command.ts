// Runs a check command or program with an allowlisted environment, a time limit and a kill of its process group.
import { spawn } from 'node:child_process';

/**
 * The variables a check command inherits: what tools need to find themselves and behave, and
 * nothing else. Checks run model-written code, so no key, token or other secret reaches them;
 * an allowlist, because a denylist misses the variable nobody thought of.
 */
const CHECK_ENV_NAMES = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TERM',
  'TMPDIR',
  'TEMP',
  'TMP',
  'CI',
  'NODE_ENV',
  'NO_COLOR',
  'FORCE_COLOR',
]);

/** `env` reduced to CHECK_ENV_NAMES and the locale's `LC_*` variables. */
export function checkEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(([name]) => CHECK_ENV_NAMES.has(name) || name.startsWith('LC_')),
  );
}

/** What a finished command left: its exit code (124 when it timed out) and its output, both streams. */
export interface CommandResult {
  code: number;
  output: string;
}

/**
 * Runs a shell command with a timeout, killing its whole process group when time is up. It gets
 * the stripped environment of `checkEnvironment`, never the factory's own. It runs as the factory
 * itself: model-written code goes through a `CheckSandbox` (sandbox.ts), which uses `runProgram`.
 */
export function runCommand(
  command: string,
  cwd: string,
  timeoutMs: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CommandResult> {
  return runProgram(['sh', '-c', command], cwd, timeoutMs, env);
}

/** Runs `argv` (no shell) as `runCommand` runs a command: stripped environment, timeout, group kill. */
export function runProgram(
  argv: readonly string[],
  cwd: string,
  timeoutMs: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: checkEnvironment(env),
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    // A program that cannot start (not installed) ends as a failed command, named in the output.
    child.on('error', (error) => chunks.push(Buffer.from(`${argv[0]}: ${error.message}\n`)));
    child.on('close', (code) => {
      clearTimeout(timer);
      const output = Buffer.concat(chunks).toString('utf8');
      resolve({
        code: timedOut ? 124 : (code ?? 1),
        output: timedOut ? `${output}\n[checks timed out after ${Math.round(timeoutMs / 1000)} s]` : output,
      });
    });
  });
}
