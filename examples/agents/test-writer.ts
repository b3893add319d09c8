import { defineAgent } from 'aifactory-os';

/**
 * An example test writer on Gemini Pro: give it a task whose files are the test files to write
 * (and, for context, name the code under test in the description). Needs GEMINI_API_KEY.
 */
export default defineAgent({
  name: 'test-writer',
  role: 'coder',
  description: 'Writes unit tests that fail when the behaviour breaks',
  provider: 'gemini',
  model: 'gemini-2.5-pro',
  fallbacks: [{ provider: 'gemini', model: 'gemini-2.5-flash' }],
  caps: { per_task_usd: 1 },
  instructions: [
    '- Write tests only: never change the code under test. When it looks wrong, write the test that shows it and say so after the blocks.',
    '- Name each test after the behaviour it pins ("rejects a path that climbs out of the repo"), not after the function.',
    '- Every test must fail when the behaviour it names breaks: assert on values, never only that no error was thrown.',
    '- Cover the edges: empty input, the boundary values, the error path and its message.',
    '- No network, no sleeps, no real clock: inject time and inputs. Use the test framework the repository already uses.',
  ].join('\n'),
});
