import { defineConfig } from 'aifactory-os';

/**
 * The repository's settings with every example agent enabled. The root `aifactory.config.ts`
 * leaves them off, so `npm start` (the demo) works as it always does: enabled, the house reviewer
 * would review the demo's tasks and `examples/agents/` would become code the factory runs. To try
 * them, make the root config this file:
 *
 *   echo "export { default } from './examples/aifactory.config.ts';" > aifactory.config.ts
 *
 * or copy the `plugins` entries you want into your own config. Paths are relative to the root.
 */
export const EXAMPLE_PLUGINS = [
  // Model agents: one coder per model family, a local one, a reviewer, writers and a planner.
  'examples/agents/grok-coder.ts',
  'examples/agents/gemini-coder.ts',
  'examples/agents/openai-coder.ts',
  'examples/agents/local-coder.ts',
  'examples/agents/house-reviewer.ts',
  'examples/agents/docs-writer.ts',
  'examples/agents/test-writer.ts',
  'examples/agents/planner.ts',
  // Tool agents: real work without a model.
  'examples/agents/formatter.ts',
  'examples/agents/changelog.ts',
  'examples/agents/license-header.ts',
  'examples/agents/todo-harvester.ts',
  'examples/agents/dependency-bumper.ts',
];

export default defineConfig({
  plugins: EXAMPLE_PLUGINS,
  caps: { per_task_usd: 2, daily_usd: 25 },
  concurrency: 4,
});
