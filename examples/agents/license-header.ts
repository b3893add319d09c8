import { defineAgent } from '../../scripts/agents/define-agent.ts';

/**
 * An example `tool` agent: it runs code instead of a model. It adds an SPDX license header to each
 * declared TypeScript file that lacks one, answering in the proposal format like any agent.
 */
export default defineAgent({
  name: 'license-header',
  role: 'tool',
  description: 'Adds SPDX license headers (no model)',
  run: async ({ task, files }) => {
    const blocks = task.files
      .filter((path) => path.endsWith('.ts'))
      .map((path) => {
        const current = files[path] ?? '';
        const next = current.startsWith('// SPDX-License-Identifier:')
          ? current
          : `// SPDX-License-Identifier: MIT\n${current}`;
        return `\`\`\`\`ts:${path}\n${next}${next.endsWith('\n') ? '' : '\n'}\`\`\`\``;
      });
    return { text: blocks.join('\n\n') };
  },
});
