/**
 * What a change costs the model to write, whole-file answer against tool calls: a one-line change
 * in a 3,000-line file (target: the calls cost at most 5 % of the whole file), and the demo's
 * recorded answers per merged task. Tokens are estimated as the agent loop estimates them, four
 * characters a token, on both sides alike; no model is called.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseProposal, renderProposal } from '../../scripts/core/protocol/proposal.ts';
import { estimateTokens } from '../../scripts/core/repo-map.ts';
import { CassetteSchema } from '../../scripts/providers/replay.ts';
import { REPO_ROOT } from '../fixtures/cli.ts';
import type { Figure } from './report.ts';

/** Tokens of `chars` characters, estimated as `estimateTokens` does. */
const tokensOfChars = (chars: number) => Math.ceil(chars / 4);

/** The characters of one tool call as a model writes it: its name and its JSON arguments. */
function callChars(name: string, args: Record<string, unknown>): number {
  return name.length + JSON.stringify(args).length;
}

/**
 * The tool calls that make `next` out of `before` (undefined: a new file): `write_file` for a new
 * file, else one `edit_file` over the lines from the first changed one to the last.
 */
function changeChars(path: string, before: string | undefined, next: string): number {
  if (before === undefined || before === '') return callChars('write_file', { path, content: next });
  const old = before.split('\n');
  const now = next.split('\n');
  let head = 0;
  while (head < old.length && head < now.length && old[head] === now[head]) head += 1;
  let tail = 0;
  while (
    tail < old.length - head &&
    tail < now.length - head &&
    old[old.length - 1 - tail] === now[now.length - 1 - tail]
  ) {
    tail += 1;
  }
  if (head === old.length && head === now.length) return 0;
  return callChars('edit_file', {
    path,
    old_text: old.slice(head, old.length - tail).join('\n'),
    new_text: now.slice(head, now.length - tail).join('\n'),
  });
}

/** The output tokens of a one-line change in a file of `lines` lines: whole-file answer and tool calls. */
export function oneLineChange(lines: number): Figure[] {
  const before = `${Array.from({ length: lines }, (_, line) => `  step${line}(); // the long file`).join('\n')}\n`;
  const next = before.replace('  step1500(); // the long file', '  step1500(); // the changed line');
  const whole = estimateTokens(
    `The change.\n\n${renderProposal([{ path: 'src/big.ts', content: next, lang: 'ts' }])}`,
  );
  const tools = tokensOfChars(
    changeChars('src/big.ts', before, next) + callChars('finish', { summary: 'Changed line 1501.' }),
  );
  const share = (tools / whole) * 100;
  return [
    {
      name: `one-line change in a ${lines}-line file: output tokens of tool calls against the whole-file answer`,
      value: Number(share.toFixed(2)),
      unit: '%',
      target: '≤ 5 %',
      ok: share <= 5,
      note: `${tools} against ${whole} tokens (estimated, 4 characters a token)`,
    },
  ];
}

/**
 * The demo's recorded coder answers (examples/replay), task by task: the output tokens of each
 * whole-file answer, against the tool calls that would make the same files (`write_file` for a
 * file the task's branch does not hold yet, one `edit_file` over the changed lines otherwise, and
 * `finish` with the answer's prose as its summary).
 */
export async function demoTokens(): Promise<Figure[]> {
  const folder = join(REPO_ROOT, 'examples', 'replay');
  const names = (await readdir(folder)).filter((name) => name.endsWith('.json')).sort();
  let whole = 0;
  let tools = 0;
  let tasks = 0;
  for (const name of names) {
    const cassette = CassetteSchema.parse(JSON.parse(await readFile(join(folder, name), 'utf8')));
    const coder = cassette.entries.filter((entry) => entry.role === 'coder' && !entry.tool_calls);
    if (coder.length === 0) continue;
    tasks += 1;
    const branch = new Map<string, string>();
    for (const entry of coder.sort((a, b) => a.iteration - b.iteration)) {
      const proposal = parseProposal(entry.text);
      if (!proposal.ok) continue;
      whole += estimateTokens(entry.text);
      const prose = entry.text.slice(0, entry.text.indexOf('```')).trim() || 'Done.';
      let chars = callChars('finish', { summary: prose });
      for (const file of proposal.files) {
        chars += changeChars(file.path, branch.get(file.path), file.content);
        branch.set(file.path, file.content);
      }
      tools += tokensOfChars(chars);
    }
  }
  const per = (total: number) => Math.round(total / Math.max(1, tasks));
  return [
    {
      name: `demo tasks (${tasks}): output tokens per merged task, whole-file answers`,
      value: per(whole),
      unit: 'tokens',
      target: 'reported',
    },
    {
      name: `demo tasks (${tasks}): output tokens per merged task, tool calls`,
      value: per(tools),
      unit: 'tokens',
      target: 'reported',
      note: 'estimated from the recorded answers; the tool loop also re-sends its conversation as input each turn',
    },
  ];
}
