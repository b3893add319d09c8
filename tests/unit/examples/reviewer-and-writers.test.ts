import { describe, expect, it } from 'vitest';
import docsWriter from '../../../examples/agents/docs-writer.ts';
import houseReviewer from '../../../examples/agents/house-reviewer.ts';
import testWriter from '../../../examples/agents/test-writer.ts';
import { renderProposal } from '../../../scripts/core/protocol/proposal.ts';
import { exampleRun, fileAt, modelOf, promptOf } from './harness.ts';

/**
 * The house reviewer, the docs writer and the test writer in one scratch repository, over real
 * HTTP to the loopback fixture: the reviewer sends a change without a test back, by its checklist.
 */
const SLUG = 'export const slugify = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, "-");\n';
const SLUG_TEST =
  'import { slugify } from "../src/slug.ts";\nif (slugify("A b") !== "a-b") throw new Error("slugify");\n';
const CLAMP =
  'export const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));\n';
const CLAMP_TEST =
  'import { clamp } from "../src/clamp.ts";\nif (clamp(5, 0, 3) !== 3) throw new Error("clamps above");\n';
const SETUP = '# Setup\n\nRun `npm ci`, then `npm start`.\n';

const ts = (path: string, content: string) => ({ path, content, lang: 'ts' });

const run = exampleRun(
  {
    coder: ({ taskId, iteration }) => {
      if (taskId === 'explain-setup')
        return renderProposal([{ path: 'docs/setup.md', content: SETUP, lang: 'md' }]);
      if (taskId === 'test-clamp') return renderProposal([ts('tests/clamp.test.ts', CLAMP_TEST)]);
      // The first draft of the slug task forgets its test.
      return renderProposal(
        iteration === 1
          ? [ts('src/slug.ts', SLUG)]
          : [ts('src/slug.ts', SLUG), ts('tests/slug.test.ts', SLUG_TEST)],
      );
    },
    reviewer: ({ prompt }) => {
      const checklist = prompt.includes('H2. New or changed behaviour in code comes with a test');
      const untested = prompt.includes('### src/slug.ts') && !prompt.includes('### tests/slug.test.ts');
      return checklist && untested
        ? {
            verdict: 'request_changes',
            summary: 'The checklist fails on H2.',
            comments: [{ path: 'tests/slug.test.ts', body: 'H2: slugify has no test' }],
          }
        : { verdict: 'approve', summary: 'The checklist passes.', comments: [] };
    },
  },
  {
    plugins: [
      'examples/agents/house-reviewer.ts',
      'examples/agents/docs-writer.ts',
      'examples/agents/test-writer.ts',
    ],
    files: { 'src/clamp.ts': CLAMP },
    tasks: [
      {
        task_id: 'add-slugify',
        description: 'Add slugify(text) to src/slug.ts',
        assignee: 'gemini-pro',
        files: ['src/slug.ts', 'tests/slug.test.ts'],
      },
      {
        task_id: 'explain-setup',
        description: 'Explain in docs/setup.md how to set the project up',
        assignee: 'docs-writer',
        files: ['docs/setup.md'],
      },
      {
        task_id: 'test-clamp',
        description: 'Test clamp() of src/clamp.ts above its upper bound',
        assignee: 'test-writer',
        files: ['tests/clamp.test.ts'],
      },
    ],
  },
);

const calls = (text: string) => run.fixture.requests.filter((request) => promptOf(request).includes(text));

describe('the example house-reviewer', () => {
  it('is the default reviewer of a coder of another vendor, and reviews with its checklist in the prompt', () => {
    const record = run.records.get('add-slugify')!;
    expect(record.reviewer).toBe('house-reviewer');
    const reviews = calls('pull request for task add-slugify (iteration');
    expect(reviews).toHaveLength(2);
    for (const review of reviews) {
      expect(modelOf(review)).toBe(houseReviewer.model);
      expect(promptOf(review)).toContain(houseReviewer.instructions!);
    }
  });

  it('sends a change without a test back, and the coder sees the checklist comment', () => {
    const record = run.records.get('add-slugify')!;
    expect(record.attempts.map((a) => `${a.iteration}:${a.kind}:${a.result}`)).toEqual([
      '1:code:proposed',
      '1:review:changes_requested',
      '2:code:proposed',
      '2:review:approved',
      '2:merge:merged',
    ]);
    expect(record.attempts[1]?.comments).toEqual([
      { path: 'tests/slug.test.ts', body: 'H2: slugify has no test' },
    ]);
    const [second] = calls('working on task add-slugify, iteration 2');
    expect(promptOf(second!)).toContain('H2: slugify has no test');
    expect(`${fileAt(run.root, 'main', 'tests/slug.test.ts')}\n`).toBe(SLUG_TEST);
  });
});

describe('the example docs-writer', () => {
  it('writes the page with its style guidance in the prompt, and it is merged', () => {
    const [call] = calls('working on task explain-setup,');
    expect(modelOf(call!)).toBe(docsWriter.model);
    expect(promptOf(call!)).toContain(docsWriter.instructions!);
    expect(run.records.get('explain-setup')?.state).toBe('merged');
    expect(`${fileAt(run.root, 'main', 'docs/setup.md')}\n`).toBe(SETUP);
  });
});

describe('the example test-writer', () => {
  it('writes only the declared test file, with its testing guidance in the prompt, and it is merged', () => {
    const [call] = calls('working on task test-clamp,');
    expect(modelOf(call!)).toBe(testWriter.model);
    expect(call!.path).toContain(':streamGenerateContent');
    expect(promptOf(call!)).toContain(testWriter.instructions!);
    const record = run.records.get('test-clamp')!;
    expect(record.state).toBe('merged');
    expect(record.attempts[0]?.files).toEqual(['tests/clamp.test.ts']);
    expect(`${fileAt(run.root, 'main', 'tests/clamp.test.ts')}\n`).toBe(CLAMP_TEST);
    expect(`${fileAt(run.root, 'main', 'src/clamp.ts')}\n`).toBe(CLAMP);
  });
});
