// The task page shows a coder's tool session as a readable log, on a phone and a desktop.
import { expect, test } from '@playwright/test';
import { sessionLines } from '../../scripts/core/record/session-log.ts';
import { DEMO_SESSION } from '../fixtures/demo-data.ts';

const PAGE = '/demo/tasks/task_1001/';
const SIZES = [
  { name: 'phone', width: 375, height: 740 },
  { name: 'desktop', width: 1280, height: 900 },
];

for (const size of SIZES) {
  test.describe(size.name, () => {
    test.use({ viewport: { width: size.width, height: size.height } });

    test('the task page shows the tool session as a log: turns, calls, a refusal, the end', async ({
      page,
    }) => {
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('dialog', (dialog) => {
        errors.push(`a dialog opened: ${dialog.message()}`);
        void dialog.dismiss();
      });
      await page.goto(PAGE);
      const session = page.locator('details.session');
      await expect(session).toHaveCount(1);
      // The latest session is open: the log is on the page without a click.
      await expect(session).toHaveAttribute('open', '');
      await expect(session.locator('summary')).toHaveText('Tool session: 4 turns, 5 tool calls');
      const lines = session.locator('.session-log li');
      const expected = sessionLines(DEMO_SESSION).map((line) => line.text);
      await expect(lines).toHaveText(expected);
      for (const index of [0, 1, expected.length - 1]) await expect(lines.nth(index)).toBeVisible();
      await expect(lines.filter({ hasText: 'search {"pattern":"export function slugify"}' })).toBeVisible();
      // A refused call stands out, and markup in a model's arguments is text, never a tag.
      const refused = session.locator('[data-refused]');
      await expect(refused).toHaveCount(1);
      await expect(refused).toContainText('refused (no_match)');
      await expect(refused).toContainText('<img src=x onerror=alert(1)>');
      await expect(session.locator('img')).toHaveCount(0);
      await expect(lines.last()).toHaveText('the agent called finish (4 turns, 5 tool calls)');
      // Long arguments wrap: the page never scrolls sideways, not even on a phone.
      const sideways = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(sideways).toBeLessThanOrEqual(0);
      const box = await lines.nth(expected.length - 2).boundingBox();
      expect(box!.x + box!.width).toBeLessThanOrEqual(size.width);
      await session.screenshot({ path: test.info().outputPath(`session-${size.name}.png`) });
      expect(errors).toEqual([]);
    });
  });
}

test('a task whose coder used no tools shows no session', async ({ page }) => {
  await page.goto('/demo/tasks/task_1002/');
  await expect(page.getByRole('heading', { name: 'Iteration 1' })).toBeVisible();
  await expect(page.locator('details.session')).toHaveCount(0);
});
