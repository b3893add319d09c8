import { beforeEach, describe, expect, it } from 'vitest';
import { AgentRegistry, BUILTIN_AGENTS } from '../../../scripts/agents/registry.ts';
import type { Task } from '../../../scripts/core/task/task.ts';
import { largeFiles } from '../../../scripts/engine/prompts.ts';
import {
  perTestSandbox,
  proposalOf,
  runTask,
  type Script,
  type SeenCall,
  scriptedServices,
} from '../../fixtures/scripted-engine.ts';

const sandbox = perTestSandbox('aifactory-fenced-');
let calls: SeenCall[];

beforeEach(() => {
  calls = [];
});

const task = (extra: Partial<Task> = {}): Task => ({
  task_id: 'a',
  description: 'Change src/big.ts',
  assignee: 'gpt',
  files: ['src/big.ts'],
  ...extra,
});
/** The built-in agents, `gpt` without tools: it answers with fenced blocks. */
const noTools = () =>
  new AgentRegistry(
    BUILTIN_AGENTS.map((agent) => (agent.name === 'gpt' ? { ...agent, tools: false } : agent)),
  );
const approve = { verdict: 'approve', summary: 'Good.', comments: [] };
const requestChanges = { verdict: 'request_changes', summary: 'Not yet.', comments: [] };

function script(answers: string[], verdicts: object[] = []): Script {
  return ({ request }) => {
    const { role, iteration } = request.context;
    if (role === 'reviewer') return verdicts[iteration - 1] ?? approve;
    return answers[Math.min(iteration, answers.length) - 1];
  };
}

const trail = (record: { attempts: { iteration: number; kind: string; result: string }[] }) =>
  record.attempts.map((attempt) => `${attempt.iteration}:${attempt.kind}:${attempt.result}`);
const coderPromptIn = (iteration: number) =>
  calls.find((call) => call.role === 'coder' && call.iteration === iteration)?.system ?? '';

/** A block of SEARCH/REPLACE sections for `path`. */
const edit = (path: string, ...sections: [string, string][]) =>
  `Here.\n\n\`\`\`\`ts:${path}\n${sections
    .map(([search, replace]) => `<<<<<<< SEARCH\n${search}=======\n${replace}>>>>>>> REPLACE\n`)
    .join('\n')}\`\`\`\`\n`;

/** A file of `count` lines, `export const vN = N;`. */
const big = (count: number) =>
  Array.from({ length: count }, (_, index) => `export const v${index} = ${index};\n`).join('');

describe('search/replace blocks', () => {
  it('edit a large file in place, from an agent with tools too: the commit changes that line alone', async () => {
    sandbox.forge.main.set('src/big.ts', big(3000));
    const s = scriptedServices({
      ...sandbox,
      calls,
      script: script([edit('src/big.ts', ['export const v1500 = 1500;\n', 'export const v1500 = 0;\n'])]),
    });
    const record = await runTask(task(), s);
    expect(trail(record)).toEqual(['1:code:proposed', '1:review:approved', '1:merge:merged']);
    expect(sandbox.forge.main.get('src/big.ts')).toBe(
      big(3000).replace('export const v1500 = 1500;\n', 'export const v1500 = 0;\n'),
    );
  });

  it('apply to the branch from the second iteration on', async () => {
    sandbox.forge.main.set('src/big.ts', 'a\nb\n');
    const s = scriptedServices({
      ...sandbox,
      registry: noTools(),
      calls,
      script: script(
        [edit('src/big.ts', ['a\n', 'A\n']), edit('src/big.ts', ['A\nb\n', 'A\nB\n'])],
        [requestChanges],
      ),
    });
    const record = await runTask(task(), s);
    expect(record.state).toBe('merged');
    expect(sandbox.forge.main.get('src/big.ts')).toBe('A\nB\n');
  });

  it('keep a CRLF file in CRLF', async () => {
    sandbox.forge.main.set('src/big.ts', 'one\r\ntwo\r\nthree\r\n');
    const s = scriptedServices({
      ...sandbox,
      registry: noTools(),
      script: script([edit('src/big.ts', ['two\n', '2\n'])]),
    });
    await runTask(task(), s);
    expect(sandbox.forge.main.get('src/big.ts')).toBe('one\r\n2\r\nthree\r\n');
  });

  it('go back to the coder when a SEARCH text occurs twice, naming the file and lines', async () => {
    sandbox.forge.main.set('src/big.ts', 'x\ny\nx\n');
    const s = scriptedServices({
      ...sandbox,
      registry: noTools(),
      calls,
      script: script([edit('src/big.ts', ['x\n', 'z\n']), edit('src/big.ts', ['x\ny\n', 'z\ny\n'])]),
    });
    const record = await runTask(task(), s);
    expect(trail(record)[0]).toBe('1:code:error');
    expect(record.attempts[0]?.error?.message).toContain(
      'the SEARCH/REPLACE block for "src/big.ts": the SEARCH text occurs 2 times (at lines 1, 3)',
    );
    expect(coderPromptIn(2)).toContain('occurs 2 times (at lines 1, 3)');
    expect(record.state).toBe('merged');
    expect(sandbox.forge.main.get('src/big.ts')).toBe('z\ny\nx\n');
    expect(sandbox.forge.commits).toHaveLength(1);
  });

  it('are refused, never applied, when the SEARCH text is empty', async () => {
    sandbox.forge.main.set('src/big.ts', 'x\n');
    const s = scriptedServices({
      ...sandbox,
      registry: noTools(),
      script: script([edit('src/big.ts', ['', 'evil\n'])]),
    });
    const record = await runTask(task({ max_iterations: 1 }), s);
    expect(record.state).toBe('failed');
    expect(record.attempts[0]?.error?.message).toContain(
      'the SEARCH text of the section on line 1 of the block is empty',
    );
    expect(sandbox.forge.commits).toHaveLength(0);
  });

  it('are refused for a file that does not exist', async () => {
    const s = scriptedServices({
      ...sandbox,
      registry: noTools(),
      script: script([edit('src/big.ts', ['x\n', 'y\n'])]),
    });
    const record = await runTask(task({ max_iterations: 1 }), s);
    expect(record.attempts[0]?.error?.message).toContain(
      '"src/big.ts" does not exist, so a SEARCH/REPLACE block cannot edit it',
    );
    expect(sandbox.forge.commits).toHaveLength(0);
  });

  it('are rejected by the protocol for a path outside the task, and never read for a path that climbs out', async () => {
    sandbox.forge.main.set('src/other.ts', 'x\n');
    const outside = scriptedServices({
      ...sandbox,
      registry: noTools(),
      script: script([edit('src/other.ts', ['x\n', 'y\n'])]),
    });
    const rejected = await runTask(task({ max_iterations: 1 }), outside);
    expect(trail(rejected)[0]).toBe('1:code:rejected');
    expect(rejected.rejection?.path).toBe('src/other.ts');
    expect(sandbox.forge.main.get('src/other.ts')).toBe('x\n');

    const climbing = scriptedServices({
      ...sandbox,
      registry: noTools(),
      script: script([edit('../etc/passwd', ['root\n', 'evil\n'])]),
    });
    const climbed = await runTask(task({ task_id: 'b', max_iterations: 1 }), climbing);
    expect(climbed.attempts[0]?.error?.message).toContain(
      'the SEARCH/REPLACE block for "../etc/passwd" is refused (',
    );
    expect(sandbox.forge.commits).toHaveLength(0);
  });

  it('refuse an edit that puts an elision marker in place of code', async () => {
    sandbox.forge.main.set('src/big.ts', big(20));
    const s = scriptedServices({
      ...sandbox,
      registry: noTools(),
      script: script([edit('src/big.ts', [big(20).slice(21), '// ... rest unchanged\n'])]),
    });
    const record = await runTask(task({ max_iterations: 1 }), s);
    expect(record.attempts[0]?.error?.message).toContain('refused (elision_marker)');
    expect(sandbox.forge.commits).toHaveLength(0);
  });
});

describe('whole-file answers that lose part of a file', () => {
  it('are refused when they shrink a file by more than half, and the coder is told the rule', async () => {
    sandbox.forge.main.set('src/big.ts', big(40));
    const s = scriptedServices({
      ...sandbox,
      registry: noTools(),
      calls,
      script: script([proposalOf({ 'src/big.ts': 'export const v0 = 0;' })]),
    });
    const record = await runTask(task({ max_iterations: 2 }), s);
    expect(trail(record)).toEqual(['1:code:error', '2:code:error']);
    expect(record.attempts[0]?.error?.message).toContain(
      'refused (whole_file_shrink): "src/big.ts" would shrink from',
    );
    expect(coderPromptIn(2)).toContain('whole_file_shrink');
    expect(sandbox.forge.commits).toHaveLength(0);
    expect(sandbox.forge.main.get('src/big.ts')).toBe(big(40));
  });

  it('are rejected by the protocol first when they also write where the task may not', async () => {
    sandbox.forge.main.set('src/other.ts', big(40));
    const s = scriptedServices({
      ...sandbox,
      registry: noTools(),
      script: script([proposalOf({ 'src/other.ts': 'export const v0 = 0;\n' })]),
    });
    const record = await runTask(task({ max_iterations: 2 }), s);
    // A rule broken is a rejection, never a second chance to try the same path again.
    expect(trail(record)).toEqual(['1:code:rejected']);
    expect(record.rejection?.path).toBe('src/other.ts');
    expect(sandbox.forge.main.get('src/other.ts')).toBe(big(40));
  });

  it('may rewrite a file of fewer than ten lines shorter: the model repeated it whole', async () => {
    sandbox.forge.main.set('src/big.ts', big(9));
    const s = scriptedServices({
      ...sandbox,
      registry: noTools(),
      script: script([proposalOf({ 'src/big.ts': 'export const v0 = 0;\n' })]),
    });
    const record = await runTask(task({ max_iterations: 1 }), s);
    expect(record.attempts[0]?.kind).toBe('code');
    expect(record.attempts[0]?.error).toBeUndefined();
    expect(sandbox.forge.commits).toHaveLength(1);
  });

  it('are refused when they hold an elision marker the file did not hold, not one it held', async () => {
    sandbox.forge.main.set('src/big.ts', big(10));
    const marked = scriptedServices({
      ...sandbox,
      registry: noTools(),
      script: script([proposalOf({ 'src/big.ts': `${big(10)}# (unchanged)` })]),
    });
    const record = await runTask(task({ max_iterations: 1 }), marked);
    expect(record.attempts[0]?.error?.message).toContain(
      'refused (elision_marker): "src/big.ts" holds "# (unchanged)"',
    );
    expect(sandbox.forge.commits).toHaveLength(0);

    sandbox.forge.main.set('src/big.ts', `${big(10)}// ... rest unchanged\n`);
    const kept = scriptedServices({
      ...sandbox,
      registry: noTools(),
      script: script([proposalOf({ 'src/big.ts': `${big(11)}// ... rest unchanged` })]),
    });
    expect((await runTask(task({ task_id: 'b', max_iterations: 1 }), kept)).state).toBe('merged');
  });

  it('may write a new file or shrink a small one by less than half', async () => {
    sandbox.forge.main.set('src/big.ts', big(10));
    const s = scriptedServices({
      ...sandbox,
      registry: noTools(),
      script: script([proposalOf({ 'src/big.ts': big(6) })]),
    });
    expect((await runTask(task(), s)).state).toBe('merged');
  });
});

describe('the coder prompt', () => {
  it('asks for SEARCH/REPLACE sections for a large file, and whole files for small ones', async () => {
    sandbox.forge.main.set('src/big.ts', big(400));
    sandbox.forge.main.set('src/small.ts', big(10));
    const s = scriptedServices({
      ...sandbox,
      registry: noTools(),
      calls,
      script: script([edit('src/big.ts', ['export const v1 = 1;\n', 'export const v1 = 2;\n'])]),
    });
    await runTask(task({ files: ['src/big.ts', 'src/small.ts'] }), s);
    const prompt = coderPromptIn(1);
    expect(prompt).toContain('These files are large: `src/big.ts`. Do not repeat them whole.');
    expect(prompt).not.toContain('`src/small.ts`. Do not');
  });

  it('asks for none when every file is small', async () => {
    sandbox.forge.main.set('src/big.ts', big(10));
    const s = scriptedServices({
      ...sandbox,
      registry: noTools(),
      calls,
      script: script([proposalOf({ 'src/big.ts': big(11) })]),
    });
    await runTask(task(), s);
    expect(coderPromptIn(1)).not.toContain('These files are large');
  });
});

describe('which files are large', () => {
  it('counts lines without the final newline, and characters, each above its threshold', () => {
    const files = new Map<string, string | undefined>([
      ['src/300.ts', 'x\n'.repeat(300)],
      ['src/301.ts', 'x\n'.repeat(301)],
      ['src/wide.ts', 'x'.repeat(12_001)],
      ['src/12k.ts', 'x'.repeat(12_000)],
      ['src/new.ts', undefined],
    ]);
    expect(largeFiles(files)).toEqual(['src/301.ts', 'src/wide.ts']);
  });
});
