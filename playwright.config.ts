import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

// A Chromium named by PLAYWRIGHT_CHROMIUM_PATH, else Debian's where it is installed (no browser
// download here), else Playwright's own (`npx playwright install chromium`, as on GitHub runners).
const systemChromium = process.env.PLAYWRIGHT_CHROMIUM_PATH || '/usr/bin/chromium';
const useSystemChromium = existsSync(systemChromium) && !process.env.PLAYWRIGHT_USE_BUNDLED;
// A free port, chosen once: workers and the web server inherit E2E_PORT, so a dev server already
// on 4321 (`npm run site:dev`) is neither hit nor in the way.
process.env.E2E_PORT ??= execFileSync(
  process.execPath,
  [
    '-e',
    "const s=require('node:net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})",
  ],
  { encoding: 'utf8' },
).trim();
const port = Number(process.env.E2E_PORT);

export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'test-results',
  timeout: 60_000,
  workers: 2,
  reporter: [['list'], ['json', { outputFile: 'reports/playwright.json' }]],
  use: {
    browserName: 'chromium',
    baseURL: `http://127.0.0.1:${port}`,
    screenshot: 'on',
    launchOptions: useSystemChromium
      ? { executablePath: systemChromium, args: ['--no-sandbox', '--disable-dev-shm-usage'] }
      : {},
  },
  webServer: {
    // Builds the site twice from sample snapshots (240 and 10,000 tasks), then serves both.
    command: 'node --import tsx tests/e2e/serve.ts',
    url: `http://127.0.0.1:${port}/aifactory/`,
    timeout: 300_000,
    reuseExistingServer: !process.env.CI,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
