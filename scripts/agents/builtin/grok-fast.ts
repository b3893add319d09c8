// The built-in `grok-fast` agent: a fast coder on xAI Grok, the only built-in granted `.github/`.
import { defineAgent } from '../define-agent.ts';

/** Grok through xAI's OpenAI-compatible API; the seed's agent for workflows, so it may touch `.github/`. */
export default defineAgent({
  name: 'grok-fast',
  role: 'coder',
  description: 'Fast coder on xAI Grok; the only built-in allowed to edit .github/',
  provider: 'xai',
  model: 'grok-4-fast',
  fallbacks: [{ provider: 'xai', model: 'grok-3-mini' }],
  permissions: { github: true },
});
