/**
 * The dashboard at scale: build time from sample snapshots, bytes per page, and the time from
 * typing in the tasks filter to the updated table, in Chromium.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright';
import { REPO_ROOT } from '../fixtures/cli.ts';
import { writeSampleStatus } from '../fixtures/sample-data.ts';
import type { Figure } from './report.ts';

const BASE = '/bench/';
const CHROMIUM = process.env.PLAYWRIGHT_CHROMIUM_PATH || '/usr/bin/chromium';

/** Gzipped bytes of a page's HTML and of every script it loads from the site. */
async function pageBytes(out: string, page: string): Promise<number> {
  const html = await readFile(join(out, page, 'index.html'), 'utf8');
  let bytes = gzipSync(html).length;
  for (const [, src] of html.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)) {
    if (!src!.startsWith(BASE)) continue;
    bytes += gzipSync(await readFile(join(out, src!.slice(BASE.length)))).length;
  }
  return bytes;
}

function serve(out: string): Promise<{ url: string; close: () => void }> {
  const types: Record<string, string> = {
    '.html': 'text/html',
    '.js': 'text/javascript',
    '.json': 'application/json',
    '.css': 'text/css',
  };
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    let file = normalize(join(out, decodeURIComponent(path.slice(BASE.length - 1))));
    if (!file.startsWith(out)) return void res.writeHead(403).end();
    if (path.endsWith('/')) file = join(file, 'index.html');
    const body = await readFile(file).catch(() => undefined);
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${BASE}`,
        close: () => server.close(),
      }),
    ),
  );
}

/** Milliseconds from an edit of the search box to the table painted, median of `queries`. */
async function filterMs(url: string, queries: readonly string[]): Promise<{ ms: number; rows: number }> {
  const browser = await chromium.launch({
    ...(existsSync(CHROMIUM) ? { executablePath: CHROMIUM } : {}),
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`${url}tasks/`);
    await page.waitForSelector('body[data-tasks-ready="true"]', { timeout: 60_000 });
    const times: number[] = [];
    let rows = 0;
    for (const query of queries) {
      const measured = await page.evaluate(async (text) => {
        const input = document.querySelector<HTMLInputElement>('input[name="q"]')!;
        const started = performance.now();
        input.value = text;
        input.dispatchEvent(new Event('input', { bubbles: true }));
        // The next frame, and the task right after it: the table has been painted by then.
        await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
        return { ms: performance.now() - started, rows: document.querySelectorAll('[data-rows] tr').length };
      }, query);
      times.push(measured.ms);
      rows = measured.rows;
    }
    times.sort((a, b) => a - b);
    return { ms: times[Math.floor(times.length / 2)]!, rows };
  } finally {
    await browser.close();
  }
}

export async function site(count: number): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'aifactory-bench-site-'));
  const status = join(dir, 'status');
  const out = join(dir, 'dist');
  try {
    await writeSampleStatus(status, count);
    const started = performance.now();
    const build = spawnSync(
      process.execPath,
      [join(REPO_ROOT, 'node_modules/astro/bin/astro.mjs'), 'build'],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, AIFACTORY_STATUS_DIR: status, BASE_PATH: BASE, AIFACTORY_SITE_OUT: out },
        stdio: 'ignore',
      },
    );
    const buildMs = performance.now() - started;
    if (build.status !== 0) {
      return [
        {
          name: `site build, ${count} tasks`,
          value: buildMs / 1000,
          unit: 's',
          target: 'builds',
          ok: false,
          note: `astro build exit ${build.status}`,
        },
      ];
    }
    const figures: Figure[] = [
      {
        name: `site build, ${count} tasks`,
        value: buildMs / 1000,
        unit: 's',
        target: 'none set',
        note: 'reported, no target',
      },
    ];
    for (const page of ['', 'tasks']) {
      figures.push({
        name: `site page /${page} HTML + JS, gzipped`,
        value: (await pageBytes(out, page)) / 1024,
        unit: 'KiB',
        target: 'none set',
      });
    }
    const server = await serve(out);
    try {
      const { ms, rows } = await filterMs(server.url, ['task-0999', 'retry', 'zzz-none', 'task-1', '']);
      figures.push({
        name: `site filter to table, ${count} rows (Chromium, median of 5)`,
        value: ms,
        unit: 'ms',
        target: '≤ 50 ms',
        ok: ms <= 50 && rows > 0,
      });
    } finally {
      server.close();
    }
    return figures;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
