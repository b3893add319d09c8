import { defineAgent } from 'aifactory-os';

/**
 * An example coder on OpenAI, with guidance for how GPT models tend to answer: they follow
 * instructions closely but over-engineer and add speculative options, so it asks for the plainest
 * change that meets the task, checked against its edge cases before writing. Needs OPENAI_API_KEY.
 */
export default defineAgent({
  name: 'openai-coder',
  role: 'coder',
  description: 'Coder on OpenAI, prompted for the plainest correct change',
  provider: 'openai',
  model: 'gpt-5-mini',
  fallbacks: [{ provider: 'openai', model: 'gpt-4.1-mini' }],
  caps: { per_task_usd: 0.5 },
  instructions: [
    '- Before writing, list to yourself the edge cases the task implies (empty input, missing file, bad value) and handle each one.',
    '- Make the plainest change that does what the task asks: no new options, abstractions or dependencies it does not ask for.',
    '- Keep public names and signatures as they are unless the task asks to change them.',
    '- After the blocks, say in one or two sentences what you changed and why.',
  ].join('\n'),
});
