import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { outDir } from './serve.ts';

const BASE = '/aifactory/';

/** Fails the test on any console error or failed request of the page. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

async function summaryOf(): Promise<{
  tasks_total: number;
  by_state: Record<string, number>;
  generated_at: string | null;
}> {
  return JSON.parse(await readFile(join(outDir(BASE), 'summary.json'), 'utf8'));
}

test('the overview shows counts by state, the data age, charts with tables, and CI runs', async ({
  page,
}) => {
  const errors = watchErrors(page);
  const summary = await summaryOf();
  await page.goto(BASE);
  await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
  await expect(page.locator('[data-count="total"]')).toHaveText(String(summary.tasks_total));
  await expect(page.locator('[data-count="merged"]')).toHaveText(String(summary.by_state.merged));
  await expect(page.locator('[data-age]')).toContainText(/Updated .* ago/);
  await expect(page.locator('canvas[data-chart]')).toHaveCount(2);
  await expect(page.getByRole('heading', { name: 'CI' })).toBeVisible();
  await expect(page.locator('#ci ~ .table-wrap tbody tr').first()).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('overview.png'), fullPage: true });
  expect(errors).toEqual([]);
});

test('the data age warns when the schedule has missed its runs', async ({ page }) => {
  await page.clock.setFixedTime(new Date('2026-11-30T00:00:00Z'));
  await page.goto(BASE);
  await expect(page.locator('[data-age]')).toHaveClass(/stale/);
  await expect(page.locator('[data-age]')).toContainText('last run started by the schedule');
  await expect(page.locator('[data-age]')).toContainText(
    'no scheduled run since 2026-11-24 17:58 UTC, and the schedule runs every hour: is the factory running?',
  );
});

test('a one-off local run is not a stopped factory, however old', async ({ page }) => {
  const path = join(outDir(BASE), 'summary.json');
  const original = await readFile(path, 'utf8');
  try {
    const summary = JSON.parse(original);
    summary.last_run = { ...summary.last_run, trigger: 'local' };
    summary.last_scheduled_at = null;
    await writeFile(path, JSON.stringify(summary));
    await page.clock.setFixedTime(new Date('2026-12-30T00:00:00Z'));
    await page.goto(`${BASE}?poll=300`);
    await expect(page.locator('[data-age]')).toContainText('last run started by hand, locally');
    await expect(page.locator('[data-age]')).not.toHaveClass(/stale/);
  } finally {
    await writeFile(path, original);
  }
});

test('the tasks table filters by state, agent and label, searches, sorts and pages', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto(`${BASE}tasks/`);
  await expect(page.locator('body')).toHaveAttribute('data-tasks-ready', 'true');
  const rows = page.locator('[data-rows] tr');
  await expect(rows).toHaveCount(50);
  await expect(page.locator('[data-result-count]')).toHaveText('240');

  await page.getByLabel('State').selectOption('rejected');
  const count = Number(await page.locator('[data-result-count]').textContent());
  expect(count).toBeGreaterThan(0);
  expect(count).toBeLessThan(240);
  for (const cell of await rows.locator('td:nth-child(2)').allTextContents()) expect(cell).toBe('rejected');
  await expect(page).toHaveURL(/state=rejected/);

  await page.getByLabel('State').selectOption('');
  await page.getByLabel('Agent').selectOption('grok-fast');
  for (const cell of await rows.locator('td:nth-child(3)').allTextContents()) expect(cell).toBe('grok-fast');
  await page.getByLabel('Agent').selectOption('');
  await page.getByLabel('Label').selectOption('security');
  expect(Number(await page.locator('[data-result-count]').textContent())).toBeGreaterThan(0);
  await page.getByLabel('Label').selectOption('');

  await page.getByLabel('Search').fill('task-00007');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('task-00007');
  await page.getByLabel('Search').fill('');

  await page.getByRole('button', { name: 'Task' }).click();
  await expect(page.locator('th[data-key="id"]')).toHaveAttribute('aria-sort', 'ascending');
  await expect(rows.first()).toContainText('task-00001');
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.locator('[data-page]')).toHaveText('Page 2 of 5');
  await expect(rows.first()).toContainText('task-00051');
  expect(errors).toEqual([]);
});

test('a state link on the overview opens the tasks table filtered', async ({ page }) => {
  await page.goto(BASE);
  await page.locator('[data-count="merged"]').click();
  await expect(page).toHaveURL(/tasks\/\?state=merged/);
  await expect(page.getByLabel('State')).toHaveValue('merged');
});

test('the tasks table works without JavaScript for its first page', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${BASE}tasks/`);
  await expect(page.locator('[data-rows] tr')).toHaveCount(50);
  await context.close();
});

test('a task page shows the timeline, review, tokens and cost, and errors with their reasons', async ({
  page,
}) => {
  const errors = watchErrors(page);
  const index = JSON.parse(await readFile(join(outDir(BASE), 'tasks.json'), 'utf8')) as {
    tasks: { id: string; state: string; iteration: number }[];
  };
  const looped = index.tasks.find((task) => task.state === 'merged' && task.iteration >= 2)!;
  await page.goto(`${BASE}tasks/`);
  await page.getByLabel('Search').fill(looped.id);
  await page.getByRole('link', { name: looped.id }).click();
  await expect(page).toHaveURL(new RegExp(`${BASE}tasks/${looped.id}/$`));
  await expect(page.getByRole('heading', { name: 'Iteration 2' })).toBeVisible();
  await expect(page.getByText('Tokens and cost')).toBeVisible();
  await expect(page.getByText(/Last review/)).toBeVisible();
  const rejected = index.tasks.find((task) => task.state === 'rejected')!;
  await page.goto(`${BASE}tasks/${rejected.id}/`);
  await expect(page.locator('.error').first()).toContainText('github_permission');
  expect(errors).toEqual([]);
});

test('the agents page compares agents and models, with charts and tables', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto(`${BASE}agents/`);
  for (const agent of ['gemini-pro', 'gpt', 'grok-fast']) {
    await expect(
      page.locator('#by-agent + .stack .table-wrap').first().getByRole('rowheader', { name: agent }),
    ).toBeVisible();
  }
  await expect(page.getByRole('heading', { name: /By model/ })).toBeVisible();
  await expect(page.locator('canvas[data-chart]')).toHaveCount(2);
  expect(errors).toEqual([]);
});

test('the history page shows activity per day', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto(`${BASE}history/`);
  await expect(page.locator('canvas[data-chart]')).toHaveCount(1);
  expect(await page.locator('tbody tr').count()).toBeGreaterThan(10);
  expect(errors).toEqual([]);
});

test('live refresh picks up a changed summary.json without a reload', async ({ page }) => {
  const path = join(outDir(BASE), 'summary.json');
  const original = await readFile(path, 'utf8');
  try {
    await page.goto(`${BASE}?poll=300`);
    const summary = JSON.parse(original);
    await expect(page.locator('[data-count="merged"]')).toHaveText(String(summary.by_state.merged));
    summary.by_state.merged += 5;
    summary.tasks_total += 5;
    await writeFile(path, JSON.stringify(summary));
    await expect(page.locator('[data-count="merged"]')).toHaveText(String(summary.by_state.merged));
    await expect(page.locator('[data-reload]')).toBeVisible();
  } finally {
    await writeFile(path, original);
  }
});

test('live refresh offers a reload for data deployed before the page first polled', async ({ page }) => {
  const path = join(outDir(BASE), 'summary.json');
  const original = await readFile(path, 'utf8');
  try {
    const summary = JSON.parse(original);
    summary.by_state.merged += 1;
    summary.tasks_total += 1;
    await writeFile(path, JSON.stringify(summary));
    await page.goto(`${BASE}?poll=300`);
    await expect(page.locator('[data-count="merged"]')).toHaveText(String(summary.by_state.merged));
    await expect(page.locator('[data-reload]')).toBeVisible();
  } finally {
    await writeFile(path, original);
  }
});

test('live refresh offers no reload while the deployed data is what the page was built from', async ({
  page,
}) => {
  await page.goto(`${BASE}?poll=250`);
  // Several polls, each answered with the same data.
  await page.waitForTimeout(1200);
  await expect(page.locator('[data-reload]')).toBeHidden();
});

test('keyboard users can skip to the content and reach the navigation', async ({ page }) => {
  await page.goto(BASE);
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Overview' })).toBeFocused();
});

test('the layout fits a phone, in dark mode', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 }, colorScheme: 'dark' });
  const page = await context.newPage();
  await page.goto(`${BASE}tasks/`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(background).toBe('rgb(17, 19, 23)');
  await page.screenshot({ path: test.info().outputPath('tasks-phone-dark.png') });
  await context.close();
});

test('every internal link of the built site resolves under the base path', async ({ request }) => {
  const root = outDir(BASE);
  const files = (await readdir(root, { recursive: true })).filter((file) => file.endsWith('.html'));
  const targets = new Set<string>();
  for (const file of files) {
    // Links in markup only: inline scripts build theirs at run time from the same base.
    const html = (await readFile(join(root, file), 'utf8')).replace(/<script[\s\S]*?<\/script>/g, '');
    for (const match of html.matchAll(/(?:href|src)="([^"#?]+)[^"]*"/g)) {
      const url = match[1]!;
      if (/^(https?:|data:|mailto:)/.test(url)) continue;
      expect(
        url.startsWith(BASE),
        `${relative(root, join(root, file))} links to ${url} outside ${BASE}`,
      ).toBe(true);
      targets.add(url);
    }
  }
  // The table links its rows at run time; every task in the index must have its page.
  const index = JSON.parse(await readFile(join(root, 'tasks.json'), 'utf8')) as { tasks: { id: string }[] };
  for (const task of index.tasks) targets.add(`${BASE}tasks/${task.id}/`);
  expect(targets.size).toBeGreaterThan(240);
  const broken: string[] = [];
  for (const url of targets) {
    const response = await request.get(url);
    if (response.status() !== 200) broken.push(`${url} → ${response.status()}`);
  }
  expect(broken).toEqual([]);
});

test('the overview ships at most 100 KB of gzipped JavaScript besides chart.js', async ({ page }) => {
  const scripts: string[] = [];
  page.on('response', (response) => {
    if (response.request().resourceType() === 'script') scripts.push(response.url());
  });
  await page.goto(BASE);
  await page.waitForLoadState('networkidle');
  const { gzipSync } = await import('node:zlib');
  let total = 0;
  for (const url of scripts) {
    const body = await (await page.request.get(url)).body();
    if (body.includes('chart.js') || body.includes('Chart.js')) continue;
    total += gzipSync(body).length;
  }
  expect(total).toBeLessThan(100 * 1024);
});
