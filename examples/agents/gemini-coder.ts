import { defineAgent } from 'aifactory-os';

/**
 * An example coder on Google Gemini, with guidance for how Gemini models tend to answer: they
 * shorten long files with "rest unchanged" comments and wander into files nobody asked for, so it
 * asks for every line of every file it writes, and only those files. Needs GEMINI_API_KEY.
 */
export default defineAgent({
  name: 'gemini-coder',
  role: 'coder',
  description: 'Coder on Gemini Flash, prompted to write whole files and nothing else',
  provider: 'gemini',
  model: 'gemini-2.5-flash',
  fallbacks: [{ provider: 'gemini', model: 'gemini-2.5-pro' }],
  caps: { per_task_usd: 0.5 },
  instructions: [
    '- Write every line of each file you change. Never shorten with comments such as `// ... rest unchanged` or `/* existing code */`: such a file is committed exactly as written.',
    '- Write only the files the task names; mention other files that need a change in one sentence after the blocks instead.',
    '- No headings or bullet lists around the blocks: one short paragraph of explanation at most.',
    '- Keep the file’s existing imports, exports and formatting unless the task asks to change them.',
  ].join('\n'),
});
