/** Whether a page's charts are drawn: a canvas with no painted pixel is a blank chart. */
import type { Page } from '@playwright/test';

/** The labels of the page's charts that show nothing yet (every pixel transparent). */
export function blankCharts(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLCanvasElement>('canvas[data-chart]')]
      .filter((canvas) => {
        const context = canvas.getContext('2d');
        if (!context || canvas.width === 0 || canvas.height === 0) return true;
        const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
        for (let alpha = 3; alpha < data.length; alpha += 4) if (data[alpha] !== 0) return false;
        return true;
      })
      .map((canvas, index) => canvas.getAttribute('aria-label') ?? `chart ${index + 1}`),
  );
}

/**
 * Waits until every chart of the page has drawn, and throws, naming the blank ones, when one is
 * still blank after `timeoutMs`: a picture of an empty chart is never taken.
 */
export async function waitForDrawnCharts(page: Page, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const blank = await blankCharts(page);
    if (blank.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`${page.url()}: charts still blank after ${timeoutMs} ms: ${blank.join('; ')}`);
    }
    await page.waitForTimeout(100);
  }
}
