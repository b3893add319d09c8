import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { defineAgent, FactoryError, renderProposal } from 'aifactory-os';

/** The Biome command line installed beside the factory. */
const BIOME = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');

/**
 * `content` as Biome formats it for `path`, with the repository's own Biome settings (it runs in
 * `root`). A kind of file Biome does not know comes back unchanged.
 * @throws FactoryError `bad_output` when Biome cannot parse the file.
 */
export function formatWithBiome(root: string, path: string, content: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [BIOME, 'format', '--files-ignore-unknown=true', `--stdin-file-path=${path}`],
      {
        cwd: root,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) return resolve(Buffer.concat(out).toString('utf8'));
      const reason = Buffer.concat(err)
        .toString('utf8')
        .split('\n')
        .find((line) => line.includes('×'));
      reject(
        new FactoryError(
          'bad_output',
          `formatter: Biome cannot format ${path}: ${reason?.replace('×', '').trim() ?? `exit code ${code}`}`,
        ),
      );
    });
    child.stdin.end(content);
  });
}

/**
 * An example `tool` agent that formats the task's files with Biome, as `npx biome format` would
 * with the repository's biome.json, and proposes the files that change. No model.
 */
export default defineAgent({
  name: 'formatter',
  role: 'tool',
  description: 'Formats the task’s files with Biome (no model)',
  run: async ({ task, root, files }) => {
    const changed: { path: string; content: string }[] = [];
    for (const path of task.files) {
      const current = files[path];
      if (current === undefined) continue;
      const formatted = await formatWithBiome(root, path, current);
      if (formatted !== current) changed.push({ path, content: formatted });
    }
    if (changed.length === 0) {
      throw new FactoryError(
        'bad_output',
        `formatter: the files of task ${task.task_id} are already formatted`,
      );
    }
    return { text: renderProposal(changed) };
  },
});
