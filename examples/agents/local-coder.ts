import { defineAgent } from '../../scripts/agents/define-agent.ts';

/**
 * An example plugin for a model on your own machine: any OpenAI-compatible server, such as
 * Ollama at http://localhost:11434/v1 (override with LOCAL_BASE_URL). No key, no cost.
 */
export default defineAgent({
  name: 'local-coder',
  role: 'coder',
  description: 'A local model through an OpenAI-compatible server',
  provider: 'local',
  model: 'qwen2.5-coder:7b',
});
