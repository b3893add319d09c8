import { defineAgent } from '../../scripts/agents/define-agent.ts';

/**
 * An example plugin: a documentation writer on OpenAI that falls back to Gemini Flash, with its
 * own spending cap. Register it in aifactory.config.ts with `plugins: ['examples/agents/docs-writer.ts']`.
 */
export default defineAgent({
  name: 'docs-writer',
  role: 'coder',
  description: 'Writes and edits Markdown documentation',
  provider: 'openai',
  model: 'gpt-5-mini',
  fallbacks: [{ provider: 'gemini', model: 'gemini-2.5-flash' }],
  caps: { per_task_usd: 0.5 },
});
