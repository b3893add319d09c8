import { defineAgent } from 'aifactory-os';

/**
 * An example coder on a model on your own machine: any OpenAI-compatible server, such as Ollama
 * at http://localhost:11434/v1 (override with LOCAL_BASE_URL). No key, no cost. Small local models
 * lose track of long instructions, so its guidance is short and concrete about the answer format.
 */
export default defineAgent({
  name: 'local-coder',
  role: 'coder',
  description: 'Coder on a local OpenAI-compatible server (Ollama, llama.cpp, vLLM)',
  provider: 'local',
  model: 'qwen2.5-coder:7b',
  instructions: [
    'Answer in exactly this form, once per file you change:',
    '',
    '```ts:src/path/of/the/file.ts',
    '(the whole new file)',
    '```',
    '',
    'The first line of each block is three backticks, the language, a colon and the path, with no spaces. Write no other code blocks.',
  ].join('\n'),
});
