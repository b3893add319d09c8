/**
 * The agent tools over a generated repository: `read_file` and a literal `search` over every file,
 * median in process (targets < 20 ms each at 5,000 files), the first, cold search that reads
 * every file from disk, and the repository map (targets ≤ 300 ms cold, ≤ 20 ms from the cache).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_AGENTS } from '../../scripts/agents/registry.ts';
import { ConfigSchema } from '../../scripts/core/config.ts';
import { SecretGuard } from '../../scripts/engine/guard/secret-guard.ts';
import { proposalPolicy } from '../../scripts/engine/guard/vet.ts';
import { forgetRepoMaps, repoMapText } from '../../scripts/engine/tools/repo-map.ts';
import { createToolbox } from '../../scripts/engine/tools/tool-table.ts';
import { WorkingCopy } from '../../scripts/engine/tools/working-copy.ts';
import type { Figure } from './report.ts';

/** A source file of about 40 lines, one in a hundred naming the symbol the search looks for. */
function sourceFile(index: number): string {
  const lines = Array.from(
    { length: 40 },
    (_, line) => `export const value${line} = ${index * 40 + line}; // module ${index}`,
  );
  if (index % 100 === 0) lines.push(`export function needleSymbol${index}() { return ${index}; }`);
  return `${lines.join('\n')}\n`;
}

async function median(runs: number, work: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const start = performance.now();
    await work();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

/** The figures of the agent tools over `files` generated files (one of them 3,000 lines long). */
export async function agentTools(files: number, runs: number): Promise<Figure[]> {
  const root = await mkdtemp(join(tmpdir(), 'aifactory-tools-bench-'));
  try {
    for (let index = 0; index < files; index += 1) {
      const folder = join(root, 'src', `area${index % 50}`);
      await mkdir(folder, { recursive: true });
      await writeFile(join(folder, `module${index}.ts`), sourceFile(index));
    }
    const bigLines = Array.from({ length: 3000 }, (_, line) => `  step${line}(); // the long file`);
    await writeFile(join(root, 'src', 'big.ts'), `${bigLines.join('\n')}\n`);
    const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'ignore' });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', 'commit', '-q', '-m', 'generated');
    // Packed, as a clone's objects are: the map reads them.
    git('gc', '-q');

    const copy = await WorkingCopy.open(root);
    const agent = BUILTIN_AGENTS.find((candidate) => candidate.name === 'gpt')!;
    const task = { task_id: 'bench', description: 'bench', assignee: 'gpt', files: [] };
    const policy = proposalPolicy({ task, agent, protocol: ConfigSchema.parse({}).protocol, plugins: [] });
    const toolbox = createToolbox({ copy, rules: { policy, secrets: new SecretGuard([]) } });
    const searchOnce = () => toolbox.callTool('search', { pattern: 'needleSymbol4200(' });
    const cold = await median(1, searchOnce);
    const read = await median(runs, () =>
      toolbox.callTool('read_file', { path: 'src/big.ts', start_line: 1500 }),
    );
    const before = process.cpuUsage();
    const search = await median(runs, searchOnce);
    const used = process.cpuUsage(before);
    // On a shared machine the wall clock waits for other processes; the CPU time does not.
    const cpuMs = (used.user + used.system) / 1000 / runs;
    const focus = { text: 'needleSymbol4200 returns the wrong value', files: [] };
    const map = () => repoMapText(root, focus, 1500);
    const mapCold = await median(Math.min(runs, 3), () => {
      forgetRepoMaps();
      return map();
    });
    const mapCached = await median(runs, map);
    const figure = (name: string, value: number, targetMs?: number, atMost = false): Figure => ({
      name,
      value,
      unit: 'ms',
      target: targetMs === undefined ? 'reported' : `${atMost ? '≤' : '<'} ${targetMs} ms`,
      ...(targetMs === undefined ? {} : { ok: atMost ? value <= targetMs : value < targetMs }),
    });
    return [
      figure(`agent tools: read_file, ${files} files, median`, read, 20),
      {
        ...figure(`agent tools: literal search, ${files} files, median`, search, 20),
        note: `${cpuMs.toFixed(1)} ms of CPU a search`,
      },
      figure(`agent tools: first search, ${files} files read from disk`, cold),
      figure(`repository map, ${files} files: cold (git objects read, median)`, mapCold, 300, true),
      figure(`repository map, ${files} files: from the cache (median)`, mapCached, 20, true),
    ];
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
