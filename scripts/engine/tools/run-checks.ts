/** The `run_checks` tool: the task's checks on the working copy with the agent's edits, through an injected runner. */
import type { SecretGuard } from '../guard/secret-guard.ts';
import type { ToolResult } from './read-tools.ts';
import type { WorkingCopyEdits } from './working-copy.ts';

/**
 * Runs `checks.command` on the repository with `edits` applied, where model-written code may run:
 * the checks sandbox, which holds no secret. Injected by the engine; a run without one has no
 * checks for the agent.
 */
export type ChecksRunner = (edits: WorkingCopyEdits) => Promise<{ code: number; output: string }>;

/** The last `maxBytes` bytes of `text`, cut at a line start where one is near. */
export function tailOf(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let tail = bytes
    .subarray(bytes.length - maxBytes)
    .toString('utf8')
    .replace(/^\uFFFD+/, '');
  const newline = tail.indexOf('\n');
  if (newline !== -1 && newline < 200) tail = tail.slice(newline + 1);
  return `… [${bytes.length - Buffer.byteLength(tail)} bytes of output before this cut]\n${tail}`;
}

/**
 * `run_checks`: the exit code and the tail of the output, with the run's secrets redacted before
 * the output is cut (so no part of a key survives at the cut). Without a runner it says that
 * checks are not available in this run.
 */
export async function runChecks(
  runner: ChecksRunner | undefined,
  edits: WorkingCopyEdits,
  secrets: SecretGuard,
  maxBytes: number,
): Promise<ToolResult> {
  if (!runner) {
    return {
      ok: false,
      rule: 'checks_unavailable',
      text: 'refused (checks_unavailable): checks are not available in this run; finish when the edits are ready, and the pull request runs them',
    };
  }
  const { code, output } = await runner(edits);
  const shown = tailOf(secrets.redact(output), maxBytes);
  return { ok: true, text: `exit code ${code}${code === 0 ? ' (passed)' : ' (failed)'}\n${shown}` };
}
