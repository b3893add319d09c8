import { defineAgent, FactoryError, type RunRecord, readRunRecords, renderProposal } from 'aifactory-os';

/** One line of the changelog for a merged task. */
function entryOf(record: RunRecord): string {
  const author = record.attempts.findLast((attempt) => attempt.kind === 'code')?.agent ?? record.assignee;
  const pr = record.pull_request ? `, #${record.pull_request.number}` : '';
  return `- ${record.title ?? record.task_id} (\`${record.task_id}\`, by ${author}${pr})`;
}

/** The changelog of the merged tasks, newest day first, tasks of a day in the order they merged. */
export function renderChangelog(records: Iterable<RunRecord>): string {
  const merged = [...records]
    .filter((record) => record.state === 'merged' && record.merged_at !== null)
    .sort((a, b) => a.merged_at!.localeCompare(b.merged_at!) || a.task_id.localeCompare(b.task_id));
  const days = new Map<string, string[]>();
  for (const record of merged) {
    const day = record.merged_at!.slice(0, 10);
    days.set(day, [...(days.get(day) ?? []), entryOf(record)]);
  }
  const sections = [...days].reverse().map(([day, lines]) => `## ${day}\n\n${lines.join('\n')}\n`);
  const body = sections.length > 0 ? sections.join('\n') : 'Nothing has been merged yet.\n';
  return `# Changelog\n\nWhat the factory merged, from its run records.\n\n${body}`;
}

/**
 * An example `tool` agent that writes the changelog from the factory's run records
 * (`shared/runs/`, validated on read; a damaged record is skipped): every merged task, by the day
 * it merged. It writes the task's first declared Markdown file, e.g. `docs/changelog.md`. No model.
 */
export default defineAgent({
  name: 'changelog',
  role: 'tool',
  description: 'Writes the changelog from merged run records (no model)',
  run: async ({ task, root, files }) => {
    const path = task.files.find((file) => file.endsWith('.md'));
    if (!path) {
      throw new FactoryError('config', `changelog: task ${task.task_id} declares no Markdown file to write`);
    }
    const content = renderChangelog(await readRunRecords(root));
    if (files[path] === content) {
      throw new FactoryError('bad_output', `changelog: ${path} already lists every merged task`);
    }
    return { text: renderProposal([{ path, content, lang: 'md' }]) };
  },
});
