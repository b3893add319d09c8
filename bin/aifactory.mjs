#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx aifactory` works without a build step.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsx = createRequire(import.meta.url).resolve('tsx/cli');
// An older system Node (npx runs this file with it) hands over to the project's pinned Node 24
// when it is installed; otherwise the CLI itself says which Node it needs.
const pinned = join(root, 'node_modules', 'node', 'bin', 'node');
const major = Number(process.versions.node.split('.')[0]);
const node = major < 22 && existsSync(pinned) ? pinned : process.execPath;
const result = spawnSync(node, [tsx, join(root, 'scripts', 'cli.ts'), ...process.argv.slice(2)], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
