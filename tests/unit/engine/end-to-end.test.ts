import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderProposal } from '../../../scripts/core/protocol/proposal.ts';
import { RunRecordSchema } from '../../../scripts/core/record/run-record.ts';
import { runFactory } from '../../../scripts/engine/run/factory.ts';
import { type LlmFixture, type SeenRequest, startLlmFixture } from '../../fixtures/llm-fixture.ts';
import { createSandboxRepo, git, type TaskStory } from '../../fixtures/sandbox-repo.ts';
import { silentProgress } from '../../fixtures/silent-progress.ts';

/**
 * The whole loop, for 20 tasks over four agents on three SDKs and a local OpenAI-compatible
 * server: real HTTP to the loopback fixture, real git in a sandbox repository, real checks.
 */
const AGENTS = ['gpt', 'grok-fast', 'gemini-pro', 'llama'] as const;

interface Plan {
  id: string;
  assignee: (typeof AGENTS)[number];
  /** Content per iteration; the last one is approved. */
  versions: string[];
  dependsOn?: string[];
}

const PLANS: Plan[] = Array.from({ length: 20 }, (_, index): Plan => {
  const id = `task-${String(index + 1).padStart(2, '0')}`;
  const assignee = AGENTS[index % AGENTS.length]!;
  if (index === 3) return { id, assignee, versions: ['first draft', 'after review'] }; // review asks for changes
  if (index === 7) return { id, assignee, versions: ['BROKEN build', 'repaired build'] }; // a check fails, then passes
  if (index === 10) return { id, assignee, versions: ['chain start'] };
  if (index === 11) return { id, assignee, versions: ['chain middle'], dependsOn: ['task-11'] };
  if (index === 12) return { id, assignee, versions: ['chain end'], dependsOn: ['task-12'] };
  return { id, assignee, versions: [`content of ${id}`] };
});

const pathOf = (id: string) => `src/${id}.txt`;
const plansById = new Map(PLANS.map((plan) => [plan.id, plan]));

/** Answers like a model would, from what the prompt says: which task, which role, which iteration. */
function answer(request: SeenRequest): { text: string } {
  const body = JSON.stringify(request.body);
  const coder = /working on task ([\w-]+), iteration (\d+)/.exec(body);
  if (coder) {
    const plan = plansById.get(coder[1]!)!;
    const version = plan.versions[Number(coder[2]) - 1] ?? plan.versions.at(-1)!;
    return {
      text: `Done.\n\n${renderProposal([{ path: pathOf(plan.id), content: `${version}\n`, lang: 'txt' }])}`,
    };
  }
  const review = /pull request for task ([\w-]+) \(iteration (\d+)/.exec(body);
  if (review) {
    const plan = plansById.get(review[1]!)!;
    const iteration = Number(review[2]);
    // Only the review-loop task is sent back once; check failures never reach the reviewer.
    const approve = plan.id !== 'task-04' || iteration >= 2;
    return {
      text: JSON.stringify({
        verdict: approve ? 'approve' : 'request_changes',
        summary: approve ? 'Correct.' : 'Not what the task asks.',
        comments: approve ? [] : [{ path: pathOf(plan.id), line: 1, body: 'say "after review"' }],
      }),
    };
  }
  throw new Error(`unexpected prompt: ${body.slice(0, 200)}`);
}

let fixture: LlmFixture;
let root: string;

beforeAll(async () => {
  fixture = await startLlmFixture();
  fixture.fallback = (request) => ({ kind: 'answer', ...answer(request) });
  const stories: TaskStory[] = PLANS.map((plan) => ({
    task: {
      task_id: plan.id,
      description: `Write ${pathOf(plan.id)}`,
      assignee: plan.assignee,
      files: [pathOf(plan.id)],
      ...(plan.dependsOn ? { depends_on: plan.dependsOn } : {}),
    },
    iterations: [],
  }));
  const config = `export default {
  agents: [{ name: 'llama', role: 'coder', provider: 'local', model: 'llama3.1:8b' }],
  checks: { command: "! grep -rq BROKEN src", timeout_seconds: 60 },
  concurrency: 4,
};
`;
  ({ root } = await createSandboxRepo(stories, { config }));
});

afterAll(async () => {
  await fixture.close();
  await rm(root, { recursive: true, force: true });
});

describe('the factory, end to end', () => {
  it('takes 20 tasks from coder to merge over four agents, iterating on review and on a failing check', async () => {
    const env = {
      OPENAI_API_KEY: 'sk-e2e-0000',
      XAI_API_KEY: 'xai-e2e-0000',
      GEMINI_API_KEY: 'gm-e2e-0000',
      OPENAI_BASE_URL: fixture.openaiUrl,
      XAI_BASE_URL: fixture.openaiUrl,
      GEMINI_BASE_URL: fixture.geminiUrl,
      LOCAL_BASE_URL: fixture.openaiUrl,
    };
    const steps: string[] = [];
    const summary = await runFactory(
      root,
      { forge: 'local', env },
      {
        step: (id, message) => steps.push(`${id}: ${message}`),
        done: () => undefined,
      },
    );
    expect(summary.invalid).toEqual([]);
    const states = Object.fromEntries([...summary.records].map(([id, record]) => [id, record.state]));
    expect(
      Object.values(states).every((state) => state === 'merged'),
      JSON.stringify(states),
    ).toBe(true);
    expect(summary.records.size).toBe(20);

    // The merged main holds exactly the approved content, and nothing else under src/.
    for (const plan of PLANS) {
      expect(git(root, 'show', `main:${pathOf(plan.id)}`)).toBe(plan.versions.at(-1));
    }
    expect(git(root, 'ls-tree', '--name-only', 'main', 'src/').split('\n')).toHaveLength(20);

    const record = async (id: string) =>
      RunRecordSchema.parse(JSON.parse(await readFile(join(root, 'shared/runs', `${id}.json`), 'utf8')));
    const reviewed = await record('task-04');
    expect(reviewed.iteration).toBe(2);
    expect(reviewed.attempts.map((a) => `${a.iteration}:${a.kind}:${a.result}`)).toEqual([
      '1:code:proposed',
      '1:checks:passed',
      '1:review:changes_requested',
      '2:code:proposed',
      '2:checks:passed',
      '2:review:approved',
      '2:merge:merged',
    ]);
    const repaired = await record('task-08');
    expect(repaired.attempts.map((a) => `${a.iteration}:${a.kind}:${a.result}`).slice(0, 3)).toEqual([
      '1:code:proposed',
      '1:checks:failed',
      '2:code:proposed',
    ]);
    // The coder of the repair saw the review comment / the failing check, through the prompt.
    const prompts = fixture.requests.map((request) => JSON.stringify(request.body));
    expect(
      prompts.some((text) => text.includes('task-04, iteration 2') && text.includes('after review')),
    ).toBe(true);
    expect(
      prompts.some((text) => text.includes('task-08, iteration 2') && text.includes('The checks failed')),
    ).toBe(true);

    // The chain merged in order.
    const mergedAt = async (id: string) => (await record(id)).merged_at!;
    expect((await mergedAt('task-11')) < (await mergedAt('task-12'))).toBe(true);
    expect((await mergedAt('task-12')) < (await mergedAt('task-13'))).toBe(true);

    // Every agent worked, on its own SDK, and was reviewed by another vendor.
    for (const agent of AGENTS) {
      const mine = PLANS.filter((plan) => plan.assignee === agent);
      const first = await record(mine[0]!.id);
      expect(first.attempts[0]?.agent).toBe(agent);
      expect(first.reviewer).not.toBe(agent);
    }
    expect(fixture.requests.some((request) => request.path.includes(':generateContent'))).toBe(true);
    expect(fixture.requests.some((request) => String(request.body.model) === 'llama3.1:8b')).toBe(true);

    // Rerunning changes nothing: no second branch, commit or pull request.
    const before = git(root, 'for-each-ref', '--format=%(refname) %(objectname)');
    const again = await runFactory(root, { forge: 'local', env }, silentProgress);
    expect(again.records.size).toBe(0);
    expect(git(root, 'for-each-ref', '--format=%(refname) %(objectname)')).toBe(before);
  }, 120_000);
});
