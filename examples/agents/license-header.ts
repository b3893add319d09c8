import { defineAgent, FactoryError, renderProposal } from 'aifactory-os';

/** The SPDX identifier this repository's files carry; change it to your license. */
const LICENSE = 'MIT';

/** How each kind of file writes a one-line comment; files of other kinds are left alone. */
const COMMENTS: Readonly<Record<string, (text: string) => string>> = {
  ts: (text) => `// ${text}`,
  tsx: (text) => `// ${text}`,
  js: (text) => `// ${text}`,
  mjs: (text) => `// ${text}`,
  cjs: (text) => `// ${text}`,
  css: (text) => `/* ${text} */`,
  sh: (text) => `# ${text}`,
  py: (text) => `# ${text}`,
  yml: (text) => `# ${text}`,
  yaml: (text) => `# ${text}`,
};

/** `content` with the SPDX header as its first line, or after its `#!` line; unchanged when it has one. */
export function withLicenseHeader(path: string, content: string): string {
  const comment = COMMENTS[path.slice(path.lastIndexOf('.') + 1)];
  if (!comment || /SPDX-License-Identifier:/.test(content.split('\n', 5).join('\n'))) return content;
  const header = `${comment(`SPDX-License-Identifier: ${LICENSE}`)}\n`;
  if (!content.startsWith('#!')) return header + content;
  const end = content.indexOf('\n') + 1 || content.length;
  return `${content.slice(0, end)}${end === content.length && !content.endsWith('\n') ? '\n' : ''}${header}${content.slice(end)}`;
}

/**
 * An example `tool` agent: it runs code instead of a model. It adds an SPDX license header to each
 * of the task's files that lacks one (after a `#!` line, in the comment style of the file's kind)
 * and proposes only the files it changed, in the proposal format like any agent.
 */
export default defineAgent({
  name: 'license-header',
  role: 'tool',
  description: 'Adds SPDX license headers to the task’s files (no model)',
  run: async ({ task, files }) => {
    const changed = task.files.flatMap((path) => {
      const current = files[path];
      if (current === undefined) return [];
      const next = withLicenseHeader(path, current);
      return next === current ? [] : [{ path, content: next }];
    });
    if (changed.length === 0) {
      throw new FactoryError(
        'bad_output',
        `license-header: every file of task ${task.task_id} already has a header or is not a kind it knows; nothing to propose`,
      );
    }
    return { text: renderProposal(changed) };
  },
});
