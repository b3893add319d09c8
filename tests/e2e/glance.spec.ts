// The dashboard read at a glance, on a phone and a desktop, light and dark: drawn charts on a
// time axis, compact state cards, agent cards, the agents, history, tasks and task pages, and 404.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { TASK_STATES } from '../../scripts/core/task/task-state.ts';
import { blankCharts, waitForDrawnCharts } from './chart-ink.ts';
import { outDir } from './serve.ts';

const SAMPLE = '/aifactory/';
const DEMO = '/demo/';
const SIZES = [
  { name: 'phone', width: 375, height: 740 },
  { name: 'desktop', width: 1280, height: 900 },
];
const SCHEMES = ['light', 'dark'] as const;

/** The days a chart's spec puts on its axis. */
async function chartDays(page: Page, selector: string): Promise<string[]> {
  const spec = JSON.parse((await page.locator(selector).getAttribute('data-chart')) ?? '{}');
  return spec.labels as string[];
}

/** Whether each label is the day after the one before it (labels MM-DD or YYYY-MM-DD). */
function consecutive(labels: string[], year = '2026'): boolean {
  const ms = labels.map((label) =>
    Date.parse(`${label.length === 5 ? `${year}-${label}` : label}T00:00:00Z`),
  );
  return ms.every((value, index) => index === 0 || value - ms[index - 1]! === 86_400_000);
}

async function sidewaysScroll(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

for (const size of SIZES) {
  for (const colorScheme of SCHEMES) {
    test.describe(`${size.name}, ${colorScheme}`, () => {
      test.use({ viewport: { width: size.width, height: size.height }, colorScheme });

      test('the throughput chart puts every one of 30 days on its axis, and every chart draws', async ({
        page,
      }) => {
        for (const base of [SAMPLE, DEMO]) {
          await page.goto(base);
          const days = await chartDays(page, '#throughput ~ .chart-box canvas');
          expect(days, base).toHaveLength(30);
          expect(consecutive(days), `${base}: ${days.join(' ')}`).toBe(true);
          await waitForDrawnCharts(page);
          expect(await blankCharts(page)).toEqual([]);
          expect(await sidewaysScroll(page)).toBeLessThanOrEqual(0);
        }
        // One day of data (the demo) is one bar among 30 days, not a bar across the whole chart.
        const rows = page.locator('#throughput ~ details tbody tr');
        await expect(rows).toHaveCount(30);
        await page.screenshot({ path: test.info().outputPath('overview.png'), fullPage: true });
      });

      test('state cards show the states that hold tasks, one line lists all, and cards are one height', async ({
        page,
      }) => {
        const summary = JSON.parse(await readFile(join(outDir(SAMPLE), 'summary.json'), 'utf8')) as {
          by_state: Record<string, number>;
        };
        await page.goto(SAMPLE);
        const held = TASK_STATES.filter((state) => summary.by_state[state]! > 0);
        expect(held.length).toBeLessThan(TASK_STATES.length);
        const cards = page.locator('ul[aria-labelledby="states"] > li');
        await expect(cards).toHaveCount(1 + held.length);
        for (const state of TASK_STATES) {
          const card = page.locator(`[data-count="${state}"]`);
          await expect(card).toHaveCount(held.includes(state) ? 1 : 0);
          const listed = page.locator(`[data-all-states] [data-state-count="${state}"]`);
          if (!held.includes(state)) {
            await expect(listed).toHaveText('0');
            continue;
          }
          // The card and the line agree: the live refresh tests bump the served counts meanwhile,
          // so the file read above may be a poll behind the page.
          await expect
            .poll(async () => (await listed.textContent()) === (await card.textContent()))
            .toBe(true);
          expect(Number(await listed.textContent())).toBeGreaterThan(0);
        }
        const heights = await cards.evaluateAll((items) =>
          items.map((item) => item.getBoundingClientRect().height),
        );
        expect(new Set(heights).size, heights.join(', ')).toBe(1);
        // From the heading to the all-states line: less than half a phone's screen.
        const top = (await page.locator('#states').boundingBox())!.y;
        const line = (await page.locator('[data-all-states]').boundingBox())!;
        expect(line.y + line.height - top).toBeLessThan(370);
      });

      test('agent cards: spend against the daily cap, the per-task cap apart, one state, one-line models', async ({
        page,
      }) => {
        await page.goto(SAMPLE);
        const card = (name: string) => page.locator(`[data-agent-status] [data-agent="${name}"]`);
        await expect(card('gpt').locator('[data-spent]')).toHaveText('$1.10 of $5.00 daily cap');
        await expect(card('gpt').locator('[data-task-cap]')).toHaveText('cap $2.00');
        await expect(card('gemini-pro').locator('[data-spent]')).toHaveText(
          '$5.00 daily cap passed by $0.20',
        );
        await expect(card('gemini-pro')).not.toContainText('$5.20 of');
        // "idle" once, in the badge.
        await expect(card('local-coder')).toContainText('idle');
        await expect(card('local-coder').locator('.agent-what')).toHaveCount(0);
        // biome-ignore lint/performance/useDomNodeTextContent: rendered text is what a reader sees
        const shown = await card('local-coder').evaluate((element) => (element as HTMLElement).innerText);
        expect(shown.match(/idle/g)).toHaveLength(1);
        for (const model of await page.locator('[data-agent-status] [data-model]').all()) {
          const box = await model.evaluate((element) => ({
            height: element.getBoundingClientRect().height,
            line: Number.parseFloat(getComputedStyle(element).lineHeight) || 20,
          }));
          expect(box.height, (await model.textContent()) ?? undefined).toBeLessThan(box.line * 1.5);
        }
        await page.goto(DEMO);
        await expect(page.locator('[data-last-run]')).toContainText('$0 of $25.00 daily cap');
        await expect(card('gpt').locator('[data-spent]')).toHaveText('$0 (no daily cap)');
      });

      test('the agents page: no empty cost chart, success counts what ended, models named as on the cards', async ({
        page,
      }) => {
        await page.goto(`${DEMO}agents/`);
        await expect(page.locator('[data-no-cost]')).toContainText(
          'No model cost per merged pull request yet',
        );
        await expect(page.locator('#cost ~ .chart-box')).toHaveCount(0);
        const gemini = page.locator('#by-agent + .stack tr', {
          has: page.getByRole('rowheader', { name: 'gemini-pro' }),
        });
        await expect(gemini.first().locator('[data-success]')).toHaveText('100 % (2 of 2 that ended)');
        await expect(page.locator('[data-agent="gemini-pro"] [data-model]')).toHaveText(
          'replay:gemini-2.5-pro',
        );
        await expect(
          page
            .locator('#by-model + .stack')
            .getByRole('rowheader', { name: 'replay:gemini-2.5-pro' })
            .first(),
        ).toBeVisible();
        await waitForDrawnCharts(page);
        expect(await sidewaysScroll(page)).toBeLessThanOrEqual(0);
        await page.goto(`${SAMPLE}agents/`);
        await expect(page.locator('#cost ~ .chart-box canvas')).toHaveCount(1);
      });

      test("the history page charts the factory's merges on every day, and labels commits as everyone's", async ({
        page,
      }) => {
        await page.goto(`${SAMPLE}history/`);
        const days = await chartDays(page, 'canvas[data-chart]');
        expect(days.length).toBeGreaterThan(55);
        expect(consecutive(days)).toBe(true);
        await expect(page.locator('canvas[data-chart]')).toHaveAttribute(
          'data-legend',
          /Merged by the factory/,
        );
        await expect(page.locator('canvas[data-chart]')).not.toHaveAttribute('data-legend', /Commits/);
        await expect(page.getByRole('columnheader', { name: 'All commits on main' })).toBeAttached();
        await waitForDrawnCharts(page);
      });

      test('the tasks page: no match, no pager for one page, no no-JavaScript notice, untitled tasks, rows that fit', async ({
        page,
      }) => {
        await page.goto(`${DEMO}tasks/`);
        await expect(page.locator('body')).toHaveAttribute('data-tasks-ready', 'true');
        await expect(page.locator('[data-pager]')).toBeHidden();
        await expect(page.getByText('Without JavaScript')).toBeHidden();
        const untitled = page.locator('[data-rows] tr', { hasText: 'task_1004' });
        await expect(untitled).toContainText('Rewrite the release workflow so tags publish by themselves');
        await page.getByLabel('Search').fill('no such task anywhere');
        await expect(page.locator('[data-rows] tr')).toHaveCount(0);
        await expect(page.locator('[data-no-match]')).toBeVisible();
        await expect(page.locator('[data-no-match]')).toContainText('No task matches');
        await page.getByRole('button', { name: 'Show all tasks' }).click();
        await expect(page.locator('[data-rows] tr')).toHaveCount(6);
        await expect(page.locator('[data-no-match]')).toBeHidden();

        await page.goto(`${SAMPLE}tasks/`);
        await expect(page.locator('body')).toHaveAttribute('data-tasks-ready', 'true');
        const overflow = await page
          .locator('.table-wrap')
          .evaluate((wrap) => wrap.scrollWidth - wrap.clientWidth);
        expect(overflow).toBeLessThanOrEqual(0);
        const pr = (await page
          .locator('[data-rows] tr')
          .first()
          .locator('td[data-label="PR"]')
          .boundingBox())!;
        expect(pr.x + pr.width).toBeLessThanOrEqual(size.width);
        expect(await sidewaysScroll(page)).toBeLessThanOrEqual(0);
        await page.screenshot({ path: test.info().outputPath('tasks.png') });
      });

      test('a task page: headings in order, a wait as a notice, no pull request "yet" once ended, one SHA length', async ({
        page,
      }) => {
        await page.goto(`${DEMO}tasks/task_1005/`);
        await expect(page.locator('[data-waiting]')).toContainText('Waiting for a person');
        await expect(page.locator('.error')).toHaveCount(0);
        const sizes = await page.evaluate(() => ({
          h2: Number.parseFloat(getComputedStyle(document.querySelector('#timeline')!).fontSize),
          h3: Number.parseFloat(getComputedStyle(document.querySelector('main h3')!).fontSize),
        }));
        expect(sizes.h2).toBeGreaterThan(sizes.h3);

        await page.goto(`${DEMO}tasks/task_1004/`);
        await expect(page.locator('dd', { hasText: /^none/ })).toHaveText('none');

        await page.goto(`${DEMO}tasks/task_1001/`);
        const shas = (await page.locator('main code').allInnerTexts()).filter((text) =>
          /^[0-9a-f]{6,40}$/.test(text),
        );
        expect(shas.length).toBeGreaterThan(1);
        expect(new Set(shas.map((sha) => sha.length)).size).toBe(1);
        expect(await sidewaysScroll(page)).toBeLessThanOrEqual(0);
      });

      test('an unknown address answers 404 with a page in the site style and links back', async ({
        page,
      }) => {
        const response = await page.goto(`${SAMPLE}tasks/no-such-task/`);
        expect(response?.status()).toBe(404);
        await expect(page.getByRole('heading', { level: 1, name: 'Page not found' })).toBeVisible();
        await page.locator('[data-not-found]').getByRole('link', { name: 'All tasks' }).click();
        await expect(page).toHaveURL(new RegExp(`${SAMPLE}tasks/$`));
        await page.goto(`${SAMPLE}nowhere`);
        const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        expect(background).toBe(colorScheme === 'dark' ? 'rgb(17, 19, 23)' : 'rgb(247, 247, 248)');
      });
    });
  }
}

test('a blank chart is caught, and a drawn one passes', async ({ page }) => {
  await page.setContent(
    '<canvas data-chart="{}" aria-label="empty throughput" width="50" height="50"></canvas>',
  );
  await expect(waitForDrawnCharts(page, 300)).rejects.toThrow(/charts still blank .*empty throughput/);
  await page.evaluate(() => {
    const context = document.querySelector('canvas')!.getContext('2d')!;
    context.fillRect(10, 10, 5, 5);
  });
  await expect(waitForDrawnCharts(page, 300)).resolves.toBeUndefined();
});

test('without JavaScript the tasks page says what it shows', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${SAMPLE}tasks/`);
  await expect(
    page.getByText('Without JavaScript this shows the 50 most recently active tasks'),
  ).toBeVisible();
  await context.close();
});
