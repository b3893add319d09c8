#!/usr/bin/env tsx
/**
 * The one entry point: `npm run aifactory -- <command>` (or `npx aifactory <command>`).
 * Exit codes: 0 success, 1 the command found problems (e.g. invalid tasks), 2 bad usage.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';

function packageVersion(): string {
  const path = join(import.meta.dirname, '..', 'package.json');
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

/**
 * The program with every command. The command modules are loaded here, not at the top, so that
 * `--version` answers without loading the engine.
 */
export async function buildProgram(): Promise<Command> {
  const [agents, created, retry, run, securityScan, shards, snapshot, status, validate, watch] =
    await Promise.all([
      import('./commands/agents.ts'),
      import('./commands/new.ts'),
      import('./commands/retry.ts'),
      import('./commands/run.ts'),
      import('./commands/security-scan.ts'),
      import('./commands/shards.ts'),
      import('./commands/snapshot.ts'),
      import('./commands/status.ts'),
      import('./commands/validate.ts'),
      import('./commands/watch.ts'),
    ]);
  const program = new Command('aifactory')
    .description('AI Factory OS: AI agents turn task files into reviewed, merged pull requests.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  validate.registerValidate(program);
  run.registerRun(program);
  watch.registerWatch(program);
  snapshot.registerSnapshot(program);
  status.registerStatus(program);
  agents.registerAgents(program);
  created.registerNew(program);
  retry.registerRetry(program);
  securityScan.registerSecurityScan(program);
  shards.registerPlanShards(program);
  shards.registerMergeShards(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    console.log(packageVersion());
    return 0;
  }
  const program = await buildProgram();
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
  console.error(
    `aifactory needs Node.js ${MIN_NODE_MAJOR} or newer (the project pins 24), and this is ${process.version}. Run it through npm (\`npm run aifactory -- <command>\`), which uses the project's Node 24 from node_modules, or install Node 24.`,
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
