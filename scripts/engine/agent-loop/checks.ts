/** `run_checks` for the agent loop: the repository's checks on a throwaway worktree with the edits, inside the checks sandbox. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { runProgram } from '../../forge/command.ts';
import type { CheckSandbox } from '../../forge/sandbox.ts';
import type { ChecksRunner } from '../tools/run-checks.ts';

/** What the agent's checks need: the repository, the command and its limit, and the sandbox to run it in. */
export interface AgentChecksOptions {
  root: string;
  command: string;
  timeoutMs: number;
  sandbox: CheckSandbox;
}

/** Worktrees of one repository are added and removed one at a time: a prune during an add breaks it. */
let queue: Promise<unknown> = Promise.resolve();
function serially<T>(work: () => Promise<T>): Promise<T> {
  const next = queue.then(work, work);
  queue = next.catch(() => undefined);
  return next;
}

async function git(root: string, args: string[]): Promise<void> {
  const { code, output } = await runProgram(['git', ...args], root, 120_000);
  if (code !== 0) throw new Error(`git ${args[0]} failed: ${output.trim().split('\n').at(-1) ?? ''}`);
}

/**
 * A `ChecksRunner` for the tools: each run checks out the repository's HEAD in a new worktree
 * under the temporary folder, writes the edits there (the deletions too), and runs the command
 * through `sandbox` with the repository hidden, so model-written code never runs beside a key.
 * The worktree is removed without git afterwards (the check may have rewritten its `.git` file).
 */
export function agentChecks(options: AgentChecksOptions): ChecksRunner {
  return async (edits) => {
    const dir = await mkdtemp(join(tmpdir(), 'aifactory-agent-checks-'));
    const tree = join(dir, basename(dir));
    try {
      await serially(() => git(options.root, ['worktree', 'add', '--detach', tree, 'HEAD']));
      for (const change of edits.changes) {
        const target = join(tree, change.path);
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, change.content);
      }
      for (const path of edits.deletions) await rm(join(tree, path), { force: true });
      return await options.sandbox.run({
        command: options.command,
        tree,
        timeoutMs: options.timeoutMs,
        hide: [options.root],
      });
    } finally {
      await serially(async () => {
        await rm(dir, { recursive: true, force: true });
        await runProgram(['git', 'worktree', 'prune'], options.root, 120_000);
      });
    }
  };
}
