/**
 * Builds the dashboard from generated sample snapshots with a non-root base path and serves it,
 * for the Playwright suite: `/aifactory/` (240 tasks), `/big/` (10,000 tasks) and `/demo/` (the
 * demo's few replayed tasks). The server sends ETags, answers If-None-Match with 304 and a missing
 * page with the site's own 404 page, like GitHub Pages.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { REPO_ROOT } from '../fixtures/cli.ts';
import { writeDemoStatus } from '../fixtures/demo-data.ts';
import { writeSampleStatus } from '../fixtures/sample-data.ts';

export const E2E_DIR = join(REPO_ROOT, '.e2e');
export const PORT = Number(process.env.E2E_PORT ?? 4321);
const SITES: { base: string; write: (dir: string) => Promise<void> }[] = [
  { base: '/aifactory/', write: (dir) => writeSampleStatus(dir, 240) },
  { base: '/big/', write: (dir) => writeSampleStatus(dir, 10_000) },
  // A handful of replayed tasks, as after `npm start`: one day of data, $0, one task for a person.
  { base: '/demo/', write: writeDemoStatus },
];
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};

export const outDir = (base: string) => join(E2E_DIR, 'dist', base.replaceAll('/', ''));
export const statusDir = (base: string) => join(E2E_DIR, 'status', base.replaceAll('/', ''));

async function build(): Promise<void> {
  for (const site of SITES) {
    await site.write(statusDir(site.base));
    const result = spawnSync(
      process.execPath,
      [join(REPO_ROOT, 'node_modules/astro/bin/astro.mjs'), 'build'],
      {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          AIFACTORY_STATUS_DIR: statusDir(site.base),
          BASE_PATH: site.base,
          AIFACTORY_SITE_OUT: outDir(site.base),
        },
        stdio: 'inherit',
      },
    );
    if (result.status !== 0) throw new Error(`astro build failed for ${site.base}`);
  }
}

function serve(): void {
  createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const site = SITES.find((candidate) => url.pathname.startsWith(candidate.base));
    if (!site) {
      res.writeHead(404).end('not found');
      return;
    }
    let path = normalize(join(outDir(site.base), decodeURIComponent(url.pathname.slice(site.base.length))));
    if (!path.startsWith(outDir(site.base))) {
      res.writeHead(403).end();
      return;
    }
    const info = await stat(path).catch(() => undefined);
    if (info?.isDirectory()) path = join(path, 'index.html');
    const body = await readFile(path).catch(() => undefined);
    if (!body) {
      const page = await readFile(join(outDir(site.base), '404.html')).catch(() => undefined);
      res.writeHead(404, { 'content-type': page ? TYPES['.html']! : 'text/plain' }).end(page ?? 'not found');
      return;
    }
    const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag }).end();
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
      etag,
      'cache-control': 'no-cache',
    });
    res.end(body);
  }).listen(PORT, '127.0.0.1', () =>
    console.log(`e2e sites on http://127.0.0.1:${PORT}/aifactory/ and /big/`),
  );
}

if (import.meta.main) {
  if (process.env.E2E_SKIP_BUILD !== '1') await build();
  serve();
}
