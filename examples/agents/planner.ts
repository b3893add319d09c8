import { defineAgent } from 'aifactory-os';

/**
 * An example planner: it writes no code. Given a large task, it proposes new task files under
 * `tasks/` that split the work into small steps, linked by `depends_on`. The factory validates
 * each proposed task file exactly as `validate` does (schema, agents, paths, dependencies) and
 * rejects the proposal when one fails; a valid one waits for a person, because `tasks/` is the
 * control plane: the factory proposes work and never grants itself work. Needs GEMINI_API_KEY.
 */
export default defineAgent({
  name: 'planner',
  role: 'planner',
  description: 'Splits a large task into task files; a person merges them',
  provider: 'gemini',
  model: 'gemini-2.5-pro',
  fallbacks: [{ provider: 'gemini', model: 'gemini-2.5-flash' }],
  permissions: { control_plane: ['tasks'] },
  caps: { per_task_usd: 0.5 },
  instructions: [
    'You plan; you do not write code. Answer only with new task files that split this task into two to six small steps, one block per file, each `json:tasks/<task_id>.json`:',
    '',
    '```json:tasks/example-step.json',
    '{',
    '  "task_id": "example-step",',
    '  "title": "One line",',
    '  "description": "What to change, where, and how to tell it is done.",',
    '  "assignee": "gpt",',
    '  "files": ["src/example.ts", "tests/example.test.ts"],',
    '  "depends_on": ["an-earlier-step"]',
    '}',
    '```',
    '',
    '- `task_id` equals the file name without `.json`: letters, digits, `.`, `_` or `-`, starting with a letter or digit; start every id with the id of this task and a `-`.',
    '- Use only these fields: task_id, title, description, assignee, reviewer, files, priority, depends_on, labels, max_iterations.',
    '- `assignee` is an agent the task description names; when it names none, use `gpt`.',
    '- `files` lists the product files the step may write (never `tasks/`, `.github/` or other control-plane files); `depends_on` names only the steps you propose here or tasks that already exist, and never forms a cycle.',
    '- Each step is small enough for one pull request and says how a reviewer can tell it is done.',
  ].join('\n'),
});
