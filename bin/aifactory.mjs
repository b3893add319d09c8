#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx aifactory` works without a build step.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'scripts', 'cli.ts');
const major = Number(process.versions.node.split('.')[0]);

if (major >= 22) {
  // In this process: a second Node process would double the start-up time.
  const require = createRequire(import.meta.url);
  const { register } = await import(pathToFileURL(require.resolve('tsx/esm/api')).href);
  register();
  const { main } = await import(pathToFileURL(cli).href);
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 2;
  }
} else {
  // An older system Node (npx runs this file with it) hands over to the project's pinned Node 24
  // when it is installed; otherwise the CLI itself says which Node it needs.
  const pinned = join(root, 'node_modules', 'node', 'bin', 'node');
  const node = existsSync(pinned) ? pinned : process.execPath;
  const tsx = createRequire(import.meta.url).resolve('tsx/cli');
  const result = spawnSync(node, [tsx, cli, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
