/**
 * `npm run screenshots`: the documentation's pictures of the dashboard, taken from real output.
 *
 * - `docs/screenshots/dashboard.png` (in the README): what a user sees after `npm start` — the demo is run in a
 *   fresh copy of this repository (its tracked files), its own `shared/status/` is built into the
 *   site, and the overview is captured five minutes after the run.
 * - `docs/screenshots/sample-busy.png`: a busy factory, from the generated sample snapshots the
 *   e2e suite uses (240 tasks over 60 days, every agent state); labelled as sample data in docs/dashboard.md.
 * - `docs/screenshots/models.png`: the Models page of the same sample, down to its table, with the
 *   sample's good and lazy model in the eval columns.
 *
 * `npm run screenshots -- models` retakes only the pictures named (dashboard, sample-busy, models).
 *
 * Each picture is taken once every chart on the page has drawn (`waitForDrawnCharts`), and the
 * run fails rather than keep a picture of a blank chart.
 *
 * Chromium: PLAYWRIGHT_CHROMIUM_PATH, else /usr/bin/chromium when installed, else Playwright's own.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize } from 'node:path';
import { chromium } from 'playwright';
import { SummarySchema } from '../../scripts/core/status/snapshot-schema.ts';
import { REPO_ROOT } from '../fixtures/cli.ts';
import { writeSampleStatus } from '../fixtures/sample-data.ts';
import { waitForDrawnCharts } from './chart-ink.ts';

const SHOTS = join(REPO_ROOT, 'docs/screenshots');
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
};

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): void {
  const result = spawnSync(command, args, { cwd, env: { ...process.env, ...env }, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed in ${cwd}`);
}

/** A fresh repository holding this one's tracked files, as a new user's clone would. */
async function freshCopy(work: string): Promise<string> {
  const copy = join(work, 'repo');
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: REPO_ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((file) => file && !file.startsWith('shared/runs/') && !file.startsWith('shared/status/'));
  for (const file of files) {
    const text = await readFile(join(REPO_ROOT, file)).catch(() => undefined);
    if (text === undefined) continue;
    await mkdir(dirname(join(copy, file)), { recursive: true });
    await writeFile(join(copy, file), text);
  }
  await symlink(join(REPO_ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
  const git = (...args: string[]) => run('git', args, copy);
  git('init', '-q', '-b', 'main');
  git('-c', 'user.name=Demo', '-c', 'user.email=demo@example.invalid', 'add', '-A');
  git('-c', 'user.name=Demo', '-c', 'user.email=demo@example.invalid', 'commit', '-q', '-m', 'clone');
  return copy;
}

function buildSite(statusDir: string, out: string): void {
  run(process.execPath, [join(REPO_ROOT, 'node_modules/astro/bin/astro.mjs'), 'build'], REPO_ROOT, {
    AIFACTORY_STATUS_DIR: statusDir,
    AIFACTORY_SITE_OUT: out,
    BASE_PATH: '/',
  });
}

async function serve(root: string): Promise<{ server: Server; url: string }> {
  const server = createServer(async (req, res) => {
    const path = normalize(join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    const file = path.endsWith('/') ? join(path, 'index.html') : path;
    const body = path.startsWith(root) ? await readFile(file).catch(() => undefined) : undefined;
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, url: `http://127.0.0.1:${address.port}/` };
}

/** Which page to take, and how much of it: the whole page, or down to the end of one element. */
interface Shot {
  path?: string;
  until?: string;
}

async function capture(site: string, statusDir: string, target: string, shot: Shot = {}): Promise<void> {
  const summary = SummarySchema.parse(JSON.parse(await readFile(join(statusDir, 'summary.json'), 'utf8')));
  const { server, url } = await serve(site);
  const systemChromium = process.env.PLAYWRIGHT_CHROMIUM_PATH || '/usr/bin/chromium';
  const browser = await chromium.launch(
    existsSync(systemChromium)
      ? {
          executablePath: systemChromium,
          // Chromium refuses to start its sandbox as root (containers, CI images).
          args: process.getuid?.() === 0 ? ['--no-sandbox', '--disable-dev-shm-usage'] : [],
        }
      : {},
  );
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
    const seen = summary.generated_at ? Date.parse(summary.generated_at) + 5 * 60_000 : Date.now();
    await page.clock.setFixedTime(new Date(seen));
    await page.goto(`${url}${shot.path ?? ''}`);
    const charts = page.locator('canvas[data-chart]');
    if ((await charts.count()) > 0) await charts.first().waitFor({ state: 'attached' });
    // The viewport takes the page's whole height first: a full-page capture of a shorter viewport
    // resizes it, and a chart cleared by the resize may be captured before it draws again.
    const height = shot.until
      ? await page
          .locator(shot.until)
          .evaluate((element) => Math.ceil(element.getBoundingClientRect().bottom + 24))
      : await page.evaluate(() => document.documentElement.scrollHeight);
    await page.setViewportSize({ width: 1280, height });
    await waitForDrawnCharts(page);
    await page.screenshot({ path: target });
    console.log(`wrote ${target}`);
  } finally {
    await browser.close();
    server.close();
  }
}

// `npm run screenshots -- models` retakes only the pictures named; none named retakes them all.
const named = process.argv.slice(2);
const wanted = (name: string) => named.length === 0 || named.includes(name);
const work = await mkdtemp(join(tmpdir(), 'aifactory-screenshots-'));
try {
  await mkdir(SHOTS, { recursive: true });
  if (wanted('dashboard')) {
    const demo = await freshCopy(work);
    run(
      process.execPath,
      ['--import', 'tsx', 'scripts/cli.ts', 'run', '--once', '--forge', 'local', '--replay'],
      demo,
    );
    buildSite(join(demo, 'shared/status'), join(work, 'demo-site'));
    await capture(join(work, 'demo-site'), join(demo, 'shared/status'), join(SHOTS, 'dashboard.png'));
  }
  if (wanted('sample-busy') || wanted('models')) {
    const sample = join(work, 'sample-status');
    await writeSampleStatus(sample, 240);
    buildSite(sample, join(work, 'sample-site'));
    if (wanted('sample-busy'))
      await capture(join(work, 'sample-site'), sample, join(SHOTS, 'sample-busy.png'));
    // The Models page down to its table: the good and the lazy model of the sample's evals.
    if (wanted('models')) {
      await capture(join(work, 'sample-site'), sample, join(SHOTS, 'models.png'), {
        path: 'models/',
        until: '[data-models]',
      });
    }
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
