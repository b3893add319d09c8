// The built-in `gpt` agent: a general coder and reviewer on OpenAI's gpt-5-mini, falling back to gpt-4.1-mini.
import { defineAgent } from '../define-agent.ts';

/** OpenAI through the openai SDK. */
export default defineAgent({
  name: 'gpt',
  role: 'coder',
  description: 'General coder and reviewer on OpenAI',
  provider: 'openai',
  model: 'gpt-5-mini',
  fallbacks: [{ provider: 'openai', model: 'gpt-4.1-mini' }],
});
