// `aifactory site build|dev`: the dashboard, built from the installed package against shared/status/.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { fromInvocation } from '../io/repo-root.ts';

/** The package's own root, where `astro.config.mjs` and `site/` ship. */
const PACKAGE_ROOT = join(import.meta.dirname, '..', '..');

/** Where the site goes unless `--out` says: a folder of the factory's own, never a product's `dist/`. */
export const DEFAULT_SITE_OUT = '.aifactory/site';

interface SiteOptions {
  out?: string;
  base?: string;
}

/**
 * Runs Astro on the package's site with the repository's snapshots. SIGINT and SIGTERM reach
 * Astro, and the command waits for it, so `site dev` never outlives a stopped CLI.
 */
function astro(args: readonly string[], root: string, env: NodeJS.ProcessEnv): Promise<number> {
  const bin = join(createRequire(import.meta.url).resolve('astro/package.json'), '..', 'bin', 'astro.mjs');
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, ...args, '--root', PACKAGE_ROOT], {
      cwd: root,
      env,
      stdio: 'inherit',
    });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('exit', (code) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      done(code ?? 1);
    });
  });
}

function siteEnv(root: string, options: SiteOptions): NodeJS.ProcessEnv {
  const base = options.base ?? process.env.BASE_PATH ?? '/';
  return {
    ...process.env,
    AIFACTORY_STATUS_DIR: join(root, 'shared', 'status'),
    AIFACTORY_SITE_OUT: options.out ? fromInvocation(options.out) : resolve(root, DEFAULT_SITE_OUT),
    BASE_PATH: base,
  };
}

/** `aifactory site build [--out dir] [--base /repo/]` and `aifactory site dev [--base /repo/]`. */
export function registerSite(program: Command): void {
  const site = program
    .command('site')
    .description("The dashboard: built from the installed package against this repository's shared/status/.");
  site
    .command('build')
    .description('Build the dashboard as static files.')
    .option('--out <dir>', `where the site goes (default: ${DEFAULT_SITE_OUT})`)
    .option('--base <path>', 'the path the site is served under, e.g. /my-repo/ on GitHub Pages (default: /)')
    .action(async (options: SiteOptions) => {
      const root = process.cwd();
      const env = siteEnv(root, options);
      process.exitCode = await astro(['build'], root, env);
      if (process.exitCode === 0) console.log(`✓ dashboard built in ${env.AIFACTORY_SITE_OUT}`);
    });
  site
    .command('dev')
    .description('Serve the dashboard, rebuilt as shared/status/ changes, until stopped.')
    .option('--base <path>', 'the path the site is served under (default: /)')
    .action(async (options: SiteOptions) => {
      const root = process.cwd();
      process.exitCode = await astro(['dev'], root, siteEnv(root, options));
    });
}
