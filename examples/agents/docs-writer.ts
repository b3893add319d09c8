import { defineAgent } from 'aifactory-os';

/**
 * An example documentation writer on OpenAI that falls back to Gemini Flash when OpenAI is down or
 * rate-limited, with its own spending cap. Give it tasks whose files are Markdown pages.
 */
export default defineAgent({
  name: 'docs-writer',
  role: 'coder',
  description: 'Writes and edits Markdown documentation',
  provider: 'openai',
  model: 'gpt-5-mini',
  fallbacks: [{ provider: 'gemini', model: 'gemini-2.5-flash' }],
  caps: { per_task_usd: 0.5 },
  instructions: [
    '- Write for a newcomer: say what the thing is for before how it works, and give one command or example they can run.',
    '- One `#` title per page, then `##` sections; sentences in the present tense and the active voice.',
    '- Every command and code sample must work as written: no placeholders like `<your-value>` without saying where the value comes from.',
    '- Link to other pages with relative links; never invent a URL, an option or a file that is not in the repository.',
  ].join('\n'),
});
