#!/usr/bin/env node
// The one entry point of `aifactory`: each command's module loaded only when that command runs, and exit codes.
/**
 * The one entry point: `npm run aifactory -- <command>` (or `npx aifactory <command>`).
 * Exit codes: 0 success, 1 the command found problems (e.g. invalid tasks), 2 bad usage.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { enterRepoRoot } from './io/repo-root.ts';

function packageVersion(): string {
  const path = join(import.meta.dirname, '..', 'package.json');
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

type Register = (program: Command) => void;

/**
 * Each command's module, by command name and in the order `--help` lists them. A module is loaded
 * only when its command runs (or for the full help), so that `status` does not load the engine.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  validate: async () => (await import('./commands/validate.ts')).registerValidate,
  run: async () => (await import('./commands/run.ts')).registerRun,
  watch: async () => (await import('./commands/watch.ts')).registerWatch,
  snapshot: async () => (await import('./commands/snapshot.ts')).registerSnapshot,
  status: async () => (await import('./commands/status.ts')).registerStatus,
  show: async () => (await import('./commands/show.ts')).registerShow,
  agents: async () => (await import('./commands/agents.ts')).registerAgents,
  new: async () => (await import('./commands/new.ts')).registerNew,
  retry: async () => (await import('./commands/retry.ts')).registerRetry,
  approve: async () => (await import('./commands/approve.ts')).registerApprove,
  close: async () => (await import('./commands/approve.ts')).registerClose,
  'security-scan': async () => (await import('./commands/security-scan.ts')).registerSecurityScan,
  'plan-shards': async () => (await import('./commands/shards.ts')).registerPlanShards,
  'merge-shards': async () => (await import('./commands/shards.ts')).registerMergeShards,
  init: async () => (await import('./commands/init.ts')).registerInit,
  site: async () => (await import('./commands/site.ts')).registerSite,
  eval: async () => (await import('./commands/eval.ts')).registerEval,
};

/** The program with the command `name`, or with every command when `name` is not one of them. */
export async function buildProgram(name?: string): Promise<Command> {
  const names = name !== undefined && Object.hasOwn(COMMANDS, name) ? [name] : Object.keys(COMMANDS);
  const registers = await Promise.all(names.map((each) => COMMANDS[each]!()));
  const program = new Command('aifactory')
    .description('AI Factory OS: AI agents turn task files into reviewed, merged pull requests.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of registers) register(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    console.log(packageVersion());
    return 0;
  }
  const program = await buildProgram(argv[0]);
  // Every command reads tasks/, shared/ and the config from the root, as git finds it.
  enterRepoRoot();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with exit code 0; usage errors get 2.
      return error.exitCode === 0 ? 0 : 2;
    }
    throw error;
  }
}

/** The oldest Node.js the CLI runs on; the project pins 24 through the `node` devDependency. */
const MIN_NODE_MAJOR = 22;

if (Number(process.versions.node.split('.')[0]) < MIN_NODE_MAJOR) {
  // Older Nodes lack import.meta.main, so without this the CLI would end silently with exit 0.
  // npm's script runs the pinned Node only where the project has it (this repository, not a
  // project that installed the package).
  const pinned = existsSync(join(import.meta.dirname, '..', 'node_modules', 'node', 'package.json'));
  const fix = pinned
    ? "run it through npm (`npm run aifactory -- <command>`), which uses the project's Node 24 from node_modules, or install Node.js 24 LTS"
    : 'install Node.js 24 LTS (https://nodejs.org/en/download, or `nvm install 24`) and run it again';
  console.error(
    `aifactory needs Node.js ${MIN_NODE_MAJOR} or newer and this is v${process.versions.node}: ${fix}.`,
  );
  process.exitCode = 2;
} else if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exitCode = 2;
    },
  );
}
