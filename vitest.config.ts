import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/{unit,integration,property,chaos}/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The JSON report feeds the one-line summary that .ci/run prints.
    reporters: ['default', ['json', { outputFile: 'reports/vitest.json' }]],
    coverage: {
      provider: 'v8',
      include: ['scripts/core/**/*.ts'],
      reporter: ['text-summary', 'json-summary'],
      // The roadmap's v1.0 checklist: the pure core stays fully covered.
      thresholds: { lines: 100, branches: 100, functions: 100, statements: 100 },
    },
  },
});
