#!/usr/bin/env node
// Runs the TypeScript CLI without a build step: Node strips the types itself where it can, and tsx
// compiles them where it cannot.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import module, { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const bin = fileURLToPath(import.meta.url);
const root = join(dirname(bin), '..');
const cli = join(root, 'scripts', 'cli.ts');
const major = Number(process.versions.node.split('.')[0]);

if (major >= 22) {
  // Node keeps each module's compiled code, TypeScript with its types stripped, in a cache of its
  // own (checked against the file's contents): starting from it takes about a third of the time.
  // Node 20 has no such function, hence no named import.
  module.enableCompileCache();
  // Node 22.18 and 23.6 on strip types by default, except in files under node_modules, which is
  // where the CLI sits when it is installed as a package. Loading tsx costs about 0.15 s.
  if (!process.features.typescript || root.split(sep).includes('node_modules')) {
    const require = createRequire(import.meta.url);
    const { register } = await import(pathToFileURL(require.resolve('tsx/esm/api')).href);
    register();
  }
  // In this process: a second Node process would double the start-up time.
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
  const [node, args] = existsSync(pinned)
    ? [pinned, [bin]]
    : [process.execPath, [createRequire(import.meta.url).resolve('tsx/cli'), cli]];
  const result = spawnSync(node, [...args, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
