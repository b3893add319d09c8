import { defineConfig } from 'aifactory-os';

/**
 * The factory's settings for this repository. Every field is optional; see the README's
 * "Configuration" section. The file is validated with zod when any command starts.
 */
export default defineConfig({
  // Spending caps in US dollars, checked before every model call.
  caps: { per_task_usd: 2, daily_usd: 25 },
  // The factory's own tests guard its safety rules: no agent rewrites them (tests/demo/ stays open).
  // A repository of your own made from this template can drop this line.
  protocol: {
    control_plane_dirs: [
      'tests/unit',
      'tests/integration',
      'tests/chaos',
      'tests/e2e',
      'tests/fixtures',
      'tests/bench',
      'tests/property',
    ],
  },
  // Agent calls made at once by `run` and `watch`; up to twice as many tasks are open.
  concurrency: 4,
  // Run on each task's branch, in a separate worktree, before the review; empty = no checks.
  // This repository's Node is the pinned one in node_modules, hence node: 'factory'; npm ci needs the network.
  // checks: { command: 'npm ci && npm test', timeout_seconds: 900, node: 'factory', network: true },
  // Point an agent at a local OpenAI-compatible server (e.g. Ollama):
  // agents: [{ name: 'gpt', provider: 'local', model: 'qwen2.5-coder:7b' }],
});
