import { expect, test } from '@playwright/test';

const BASE = '/big/';

test('a 10,000-task site builds, and its tasks page filters interactively', async ({ page }) => {
  await page.goto(`${BASE}tasks/`);
  await expect(page.locator('body')).toHaveAttribute('data-tasks-ready', 'true', { timeout: 20_000 });
  await expect(page.locator('[data-result-count]')).toHaveText('10000');
  await page.getByLabel('Search').fill('task-09999');
  await expect(page.locator('[data-rows] tr')).toHaveCount(1);
  await page.getByLabel('Search').fill('');
  await page.getByLabel('State').selectOption('failed');
  const failed = Number(await page.locator('[data-result-count]').textContent());
  expect(failed).toBeGreaterThan(300);
  expect(failed).toBeLessThan(2000);
  await expect(page.locator('[data-rows] tr')).toHaveCount(50);
  await page.goto(`${BASE}tasks/task-10000/`);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
});
