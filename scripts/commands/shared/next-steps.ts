// The "Next:" line after a run, in commands that exist in this repository.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The npm scripts of the repository at `root` (none when package.json is missing or unreadable). */
async function npmScripts(root: string): Promise<ReadonlySet<string>> {
  try {
    const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
      scripts?: Record<string, unknown>;
    };
    return new Set(Object.keys(manifest.scripts ?? {}));
  } catch {
    return new Set();
  }
}

/**
 * What to run next for the task table and the dashboard: the template's npm scripts where the
 * repository has them, else the CLI itself (`npx aifactory …`), which every repository has once
 * the package is installed.
 */
export async function nextStepsLine(root: string): Promise<string> {
  const scripts = await npmScripts(root);
  const status = scripts.has('aifactory') ? 'npm run aifactory -- status' : 'npx aifactory status';
  const dashboard = scripts.has('site:dev') ? 'npm run site:dev' : 'npx aifactory site dev';
  return `Next: \`${status}\` for the task table; \`${dashboard}\` for the dashboard.`;
}
