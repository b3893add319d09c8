import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

// Debian's Chromium where it is installed (no browser download here); Playwright's own elsewhere.
const systemChromium = '/usr/bin/chromium';
const useSystemChromium = existsSync(systemChromium) && !process.env.PLAYWRIGHT_USE_BUNDLED;

export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'test-results',
  reporter: [['list'], ['json', { outputFile: 'reports/playwright.json' }]],
  use: {
    browserName: 'chromium',
    screenshot: 'on',
    launchOptions: useSystemChromium
      ? { executablePath: systemChromium, args: ['--no-sandbox', '--disable-dev-shm-usage'] }
      : {},
  },
});
