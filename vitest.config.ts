import { defineConfig } from 'vitest/config';

/**
 * Test files that start real processes (the CLI, git, a second Node, the benchmarks), loopback
 * GitHub servers or sandbox repositories, or wait out real time, and take seconds each: the
 * `integration` project. Everything else under tests/unit and tests/property is `unit`, which
 * `npm run test:fast` runs alone. A new slow file goes here or under tests/integration/.
 */
const INTEGRATION = [
  'tests/integration/**/*.test.ts',
  // The watchdog's cases wait out real idle timeouts and deadlines against a loopback model server.
  'tests/unit/adversarial/{machine-state,model-calls,paths,secrets-engine}.test.ts',
  'tests/unit/bench/bench-harness.test.ts',
  'tests/unit/cli/*.test.ts',
  'tests/unit/engine/{adversarial,after-run,call-progress,end-to-end,models-snapshot,snapshot-writer}.test.ts',
  'tests/unit/examples/{coders,control-plane-agents,plugin-guide,registered,reviewer-and-writers,tool-agents}.test.ts',
  'tests/unit/forge/{check-sandbox,check-toolchain,forge-contract}.test.ts',
  'tests/unit/forge/local/{fast-merge,git-objects,git-spawns,local-forge,ref-updates}.test.ts',
  'tests/unit/forge/github/github-{checks,end-to-end,faults,forge,no-checks,person,reviews-merge,run-faults,scenarios,state,trust}.test.ts',
  'tests/unit/github-fixture/*.test.ts',
  // Kills a writer mid-batch.
  'tests/unit/io/many-files.test.ts',
  'tests/unit/providers/key-leak.test.ts',
  'tests/unit/shards/matrix.test.ts',
];

export default defineConfig({
  test: {
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
    // Three tiers (CONTRIBUTING.md "Tests"); `vitest run` runs them all, as `npm test` does.
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/{unit,property}/**/*.test.ts'],
          exclude: INTEGRATION,
        },
      },
      { extends: true, test: { name: 'integration', include: INTEGRATION } },
      // Kills the factory mid-run and resumes it, many times over: the slowest tier.
      { extends: true, test: { name: 'chaos', include: ['tests/chaos/**/*.test.ts'] } },
    ],
  },
});
