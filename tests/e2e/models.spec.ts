// The Models page on a phone and a desktop, light and dark: which agent and model to trust, each
// figure with its count, small samples marked, and the good and the lazy model of the sample eval.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, type Locator, test } from '@playwright/test';
import { ModelsSchema } from '../../scripts/core/status/snapshot-schema.ts';
import { statusDir } from './serve.ts';

const SAMPLE = '/aifactory/';
const DEMO = '/demo/';
const SIZES = [
  { name: 'phone', width: 375, height: 740 },
  { name: 'desktop', width: 1280, height: 900 },
];
const SCHEMES = ['light', 'dark'] as const;

/** What a reader sees in a cell: its figure, then the count beneath it. */
const shown = async (cell: Locator) =>
  // biome-ignore lint/performance/useDomNodeTextContent: rendered text is what a reader sees
  (await cell.evaluate((element) => (element as HTMLElement).innerText)).replace(/\s+/g, ' ').trim();

for (const size of SIZES) {
  for (const colorScheme of SCHEMES) {
    test.describe(`${size.name}, ${colorScheme}`, () => {
      test.use({ viewport: { width: size.width, height: size.height }, colorScheme });

      test('the Models page shows the good model passing the hidden tests and the lazy one not', async ({
        page,
      }) => {
        await page.goto(SAMPLE);
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Models' }).click();
        await expect(page).toHaveURL(new RegExp(`${SAMPLE}models/$`));
        await expect(page.getByRole('link', { name: 'Models' })).toHaveAttribute('aria-current', 'page');

        const row = (name: string) => page.locator(`[data-models] tr[data-model-row="${name}"]`);
        const good = row('gpt openai:gpt-5-mini');
        const lazy = row('local-coder local:qwen2.5-coder:7b');
        // Both pass their own checks; only the good one passes the tests that came with the tasks.
        expect(await shown(good.locator('[data-eval-own]'))).toBe('100 % 12 of 12');
        expect(await shown(good.locator('[data-eval-hidden]'))).toBe('100 % 12 of 12');
        expect(await shown(lazy.locator('[data-eval-own]'))).toBe('100 % 12 of 12');
        expect(await shown(lazy.locator('[data-eval-hidden]'))).toBe('0 % 0 of 12');
        await expect(good.locator('[data-eval-date]')).toContainText('2026-11-23');
        // Known only from its eval: no task here, and marked as a small sample.
        await expect(lazy.locator('[data-tasks] .small-sample')).toBeVisible();
        expect(await shown(lazy.locator('[data-merged]'))).toBe('— none counted');

        // The figures are the snapshot's, each with its count.
        const models = ModelsSchema.parse(
          JSON.parse(await readFile(join(statusDir(SAMPLE), 'models.json'), 'utf8')),
        );
        const grok = models.rows.find((entry) => entry.agent === 'grok-fast')!;
        expect(grok.merged.reverted).toBe(2);
        const percent = Math.round((grok.merged.count / grok.merged.of) * 100);
        expect(await shown(row(`grok-fast ${grok.model}`).locator('[data-merged]'))).toBe(
          `${percent} % ${grok.merged.count} of ${grok.merged.of} 2 reverted`,
        );
        await expect(row(`grok-fast ${grok.model}`).locator('[data-tasks] .small-sample')).toHaveCount(0);
        for (const figure of await page.locator('[data-models] td .figure').all()) {
          const cell = figure.locator('xpath=ancestor::td[1]');
          if ((await cell.getAttribute('data-label')) === 'Tasks') continue;
          await expect(cell.locator('.count')).not.toBeEmpty();
        }

        // The causes by week, newest first.
        const weeks = await page.locator('[data-causes] tbody tr td:first-child').allInnerTexts();
        expect(weeks.length).toBeGreaterThan(0);
        const days = weeks.map((text) => text.slice(0, 10));
        expect([...days].sort().reverse()).toEqual(days);

        const overflow = await page
          .locator('[data-models]')
          .evaluate((table) => table.parentElement!.scrollWidth - table.parentElement!.clientWidth);
        expect(overflow).toBeLessThanOrEqual(0);
        expect(
          await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
        ).toBeLessThanOrEqual(0);
        // The navigation stays one line on a phone.
        const nav = await page.getByRole('navigation', { name: 'Main' }).boundingBox();
        expect(nav!.height).toBeLessThan(40);
        await page.screenshot({ path: test.info().outputPath('models.png'), fullPage: true });
      });

      test('the demo marks its few tasks as a small sample, and says no eval has run', async ({ page }) => {
        await page.goto(`${DEMO}models/`);
        const rows = page.locator('[data-models] tbody tr');
        await expect(rows).toHaveCount(3);
        for (const row of await rows.all()) {
          await expect(row.locator('[data-tasks] .small-sample')).toBeVisible();
          await expect(row.locator('[data-eval-own]')).toHaveText('no eval');
        }
        const gemini = page.locator('[data-models] tr[data-model-row="gemini-pro replay:gemini-2.5-pro"]');
        expect(await shown(gemini.locator('[data-merged]'))).toBe('100 % 2 of 2');
      });
    });
  }
}
