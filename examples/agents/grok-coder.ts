import { defineAgent } from 'aifactory-os';

/**
 * An example coder on xAI Grok (through its OpenAI-compatible API), with guidance for how Grok
 * models tend to answer: they talk before the code and like to show diffs, so it asks for the
 * blocks first, whole files, and little prose. Needs XAI_API_KEY.
 */
export default defineAgent({
  name: 'grok-coder',
  role: 'coder',
  description: 'Coder on xAI Grok, prompted for terse answers of whole files',
  provider: 'xai',
  model: 'grok-4-fast',
  fallbacks: [{ provider: 'xai', model: 'grok-3-mini' }],
  caps: { per_task_usd: 0.5 },
  instructions: [
    '- Start your answer with the file blocks; add at most three sentences after them, none before.',
    '- Never answer with a diff, a patch or `+`/`-` lines: each block holds the whole file.',
    '- Do not wrap the answer in one outer code block, and do not add a block for a file you leave unchanged.',
    '- Prefer the smallest change that does what the task asks; keep the naming and style of the file around it.',
  ].join('\n'),
});
