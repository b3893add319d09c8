import { defineAgent } from 'aifactory-os';

/**
 * An example reviewer that holds every pull request to a house checklist. As a `reviewer` it is
 * preferred over coders when the factory picks a task's default reviewer from another vendor than
 * the assignee; a task can also name it with `"reviewer": "house-reviewer"`. Needs OPENAI_API_KEY.
 */
export default defineAgent({
  name: 'house-reviewer',
  role: 'reviewer',
  description: 'Reviewer on OpenAI that applies the house checklist',
  provider: 'openai',
  model: 'gpt-5-mini',
  fallbacks: [{ provider: 'openai', model: 'gpt-4.1-mini' }],
  caps: { per_task_usd: 0.25 },
  instructions: [
    'Go through this house checklist before you give the verdict. Request changes for each item the change fails, with one comment per failed item that starts with the item number, e.g. "H2: …".',
    '',
    'H1. The change does what the task asks and nothing else: no unrelated edits, no files the task does not need.',
    'H2. New or changed behaviour in code comes with a test that would fail without the change.',
    'H3. Errors say what happened, where (file, field or id) and what to do.',
    'H4. No credentials, tokens or personal data, not even as examples; no network calls in tests.',
    'H5. Exported functions and types have a doc comment that says why, not what.',
    '',
    'Items that do not apply to the change (H2 for a documentation-only change) pass.',
  ].join('\n'),
});
