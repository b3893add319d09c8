import { expect, type Page, test } from '@playwright/test';
import { colourOf } from '../../scripts/core/status/state-colors.ts';

// Built from the sample snapshots (tests/fixtures/sample-data.ts, `sampleAgentStatus`): a scheduled
// run under way with gpt working, grok-fast rate-limited, gemini-pro over its daily cap and
// local-coder idle.
const BASE = '/aifactory/';
const WIDTHS = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'phone', width: 375, height: 740 },
];
const EXPECTED = [
  { agent: 'gpt', state: 'working', words: 'working on task-00012' },
  { agent: 'grok-fast', state: 'rate_limited', words: 'rate-limited until 2026-11-24 18:03 UTC' },
  { agent: 'gemini-pro', state: 'budget_paused', words: 'paused by budget until 2026-11-25 00:00 UTC' },
  // Idle says nothing the badge does not: no line under it.
  { agent: 'local-coder', state: 'idle', words: null },
];

const rgb = (hex: string): string =>
  `rgb(${[1, 3, 5].map((at) => Number.parseInt(hex.slice(at, at + 2), 16)).join(', ')})`;

async function colourOfBadge(page: Page, selector: string): Promise<string> {
  return page
    .locator(selector)
    .first()
    .evaluate((element) => getComputedStyle(element).color);
}

for (const size of WIDTHS) {
  test.describe(`agent status at ${size.name} width`, () => {
    test.use({ viewport: { width: size.width, height: size.height } });

    for (const path of ['', 'agents/']) {
      test(`shows idle, working, rate-limited and budget-paused agents on /${path}`, async ({ page }) => {
        await page.goto(`${BASE}${path}`);
        const panel = page.locator('[data-agent-status]');
        await expect(panel.getByRole('heading', { name: 'Agent status' })).toBeVisible();
        await expect(panel.locator('[data-last-run]')).toContainText(
          'Last run started by the GitHub schedule',
        );
        await expect(panel.locator('[data-last-run]')).toContainText('still under way');
        for (const { agent, state, words } of EXPECTED) {
          const card = panel.locator(`[data-agent="${agent}"]`);
          await expect(card).toHaveAttribute('data-state', state);
          if (words === null) await expect(card.locator('.agent-what')).toHaveCount(0);
          else await expect(card.locator('.agent-what')).toHaveText(words);
          await expect(card.locator(`[data-badge="${state}"]`)).toBeVisible();
          expect(await colourOfBadge(page, `[data-agent="${agent}"] [data-badge]`)).toBe(
            rgb(colourOf(state).light),
          );
        }
        const gpt = panel.locator('[data-agent="gpt"]');
        await expect(gpt).toContainText('OPENAI_API_KEY set');
        await expect(gpt).toContainText('$1.10 of $5.00 daily cap');
        await expect(gpt).toContainText('12 requests, 54,500 tokens');
        await expect(gpt).toContainText('answered: openai:gpt-4.1-mini');
        await expect(panel.locator('[data-agent="gemini-pro"]')).toContainText(
          '$5.00 daily cap passed by $0.20',
        );
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow).toBeLessThanOrEqual(0);
        await page.screenshot({
          path: test.info().outputPath(`agent-status-${size.name}.png`),
          fullPage: true,
        });
      });
    }
  });
}

test('each state has one colour in badge, chart and legend', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  const legendOf = async (selector: string) =>
    JSON.parse((await page.locator(selector).getAttribute('data-legend')) ?? '[]') as {
      text: string;
      colour: string;
    }[];
  const badges = new Map<string, string>();
  for (const state of ['merged', 'failed', 'rejected', 'blocked']) {
    await page.goto(`${BASE}tasks/?state=${state}`);
    // The table is rendered again once the filter applies; read a badge of the filtered rows.
    await expect(page.locator('tbody tr').first().locator('.state')).toHaveClass(
      new RegExp(`state-${state}`),
    );
    await expect.poll(() => colourOfBadge(page, `tbody .state-${state}`)).toBe(rgb(colourOf(state).light));
    badges.set(state, await colourOfBadge(page, `tbody .state-${state}`));
  }
  expect(badges.get('failed')).not.toBe(badges.get('rejected'));

  await page.goto(BASE);
  await expect(page.locator('#success ~ .chart-box canvas')).toHaveAttribute('data-legend', /merged/);
  const doughnut = await legendOf('#success ~ .chart-box canvas');
  expect(doughnut.map((item) => [item.text, rgb(item.colour)])).toEqual(
    ['merged', 'failed', 'rejected', 'blocked'].map((state) => [state, badges.get(state)]),
  );
  const throughput = await legendOf('#throughput ~ .chart-box canvas');
  expect(rgb(throughput.find((item) => item.text === 'Merged')!.colour)).toBe(badges.get('merged'));

  await page.goto(`${BASE}agents/`);
  await expect(page.locator('#outcomes ~ .chart-box canvas')).toHaveAttribute('data-legend', /Merged/);
  const outcomes = await legendOf('#outcomes ~ .chart-box canvas');
  expect(outcomes.map((item) => [item.text, rgb(item.colour)])).toEqual([
    ['Merged', badges.get('merged')],
    ['Failed', badges.get('failed')],
    ['Rejected', badges.get('rejected')],
  ]);

  await page.goto(`${BASE}history/`);
  await expect(page.locator('canvas[data-chart]')).toHaveAttribute('data-legend', /Merged by the factory/);
  const history = await legendOf('canvas[data-chart]');
  expect(rgb(history.find((item) => item.text === 'Merged by the factory')!.colour)).toBe(
    badges.get('merged'),
  );
});

test('no page scrolls sideways at 1280 px, and no table needs its own scrollbar', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  for (const path of ['', 'tasks/', 'tasks/task-00001/', 'agents/', 'history/']) {
    await page.goto(`${BASE}${path}`);
    const overflow = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth - window.innerWidth,
      tables: [...document.querySelectorAll<HTMLElement>('.table-wrap')].map(
        (wrap) => wrap.scrollWidth - wrap.clientWidth,
      ),
    }));
    expect(overflow.page, path).toBeLessThanOrEqual(0);
    for (const extra of overflow.tables) expect(extra, path).toBeLessThanOrEqual(0);
  }
});
