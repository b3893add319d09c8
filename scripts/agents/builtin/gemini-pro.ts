// The built-in `gemini-pro` agent: a careful coder and reviewer on Gemini 2.5 Pro, falling back to Flash.
import { defineAgent } from '../define-agent.ts';

/** Google Gemini through @google/genai. */
export default defineAgent({
  name: 'gemini-pro',
  role: 'coder',
  description: 'Careful coder and reviewer on Google Gemini',
  provider: 'gemini',
  model: 'gemini-2.5-pro',
  fallbacks: [{ provider: 'gemini', model: 'gemini-2.5-flash' }],
});
