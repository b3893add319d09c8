#!/usr/bin/env node
// Runs the TypeScript CLI without a build step: Node strips the types itself where it can, and tsx
// compiles them where it cannot.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import module, { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
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
  // when the project has one (this repository, the template); otherwise it says what to install.
  const pinned = join(root, 'node_modules', 'node', 'bin', 'node');
  if (existsSync(pinned)) {
    process.exitCode = await runForwardingSignals(pinned, [bin, ...process.argv.slice(2)]);
  } else {
    console.error(
      `aifactory needs Node.js 22 or newer and this is v${process.versions.node}: install Node.js 24 LTS (https://nodejs.org/en/download, or \`nvm install 24\`) and run it again.`,
    );
    process.exitCode = 2;
  }
}

/**
 * Runs the CLI in a child process and waits for it. SIGINT, SIGTERM and SIGHUP sent to this
 * process are passed on to the child, which stops as it does when signalled itself (`watch`
 * finishes its step), so a supervisor that stops this process never leaves the child behind.
 * Resolves to the child's exit code, or 128 + the signal's number when a signal ended it.
 */
function runForwardingSignals(node, args) {
  return new Promise((resolve) => {
    const child = spawn(node, args, { stdio: 'inherit' });
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    const forward = (signal) => child.kill(signal);
    for (const signal of signals) process.on(signal, forward);
    child.on('error', (error) => {
      console.error(`aifactory: cannot start ${node}: ${error.message}`);
      resolve(2);
    });
    child.on('exit', (code, signal) => {
      for (const each of signals) process.off(each, forward);
      resolve(code ?? 128 + (osConstants.signals[signal] ?? 0));
    });
  });
}
