import { describe, expect, it } from 'vitest';
import { renderChangelog } from '../../../examples/agents/changelog.ts';
import { formatWithBiome } from '../../../examples/agents/formatter.ts';
import { withLicenseHeader } from '../../../examples/agents/license-header.ts';
import type { RunRecord } from '../../../scripts/core/record/run-record.ts';
import { git } from '../../fixtures/sandbox-repo.ts';
import { exampleRun, fileAt, promptOf, storedRecord } from './harness.ts';

/**
 * The formatter, the license-header fixer and the changelog writer: tool agents that do their
 * work without a model, through the engine with the local forge, reviewed by a model agent on the
 * loopback fixture. The changelog waits for the other two and lists them once they merged.
 */
const MESSY =
  "export const settings = {name:'demo',  sizes:[1,2,3], nested:{deep:{deeper:{deepest:'a long value that wraps'}}}}\n";
const NOTES = '#   Notes\n\nleft   as it is\n';
const DONE = '// SPDX-License-Identifier: Apache-2.0\nexport const done = true;\n';

const run = exampleRun(
  {},
  {
    plugins: [
      'examples/agents/formatter.ts',
      'examples/agents/license-header.ts',
      'examples/agents/changelog.ts',
    ],
    files: {
      'biome.json': JSON.stringify({ formatter: { indentStyle: 'space', indentWidth: 2, lineWidth: 60 } }),
      'src/messy.ts': MESSY,
      'docs/notes.txt': NOTES,
      'src/plain.ts': 'export const plain = 1;\n',
      'src/run.sh': '#!/bin/sh\necho hi\n',
      'src/done.ts': DONE,
    },
    tasks: [
      {
        task_id: 'format-messy',
        title: 'Format src/messy.ts',
        description: 'Format the settings module',
        assignee: 'formatter',
        files: ['src/messy.ts', 'docs/notes.txt'],
      },
      {
        task_id: 'add-licenses',
        title: 'License headers for src',
        description: 'Every source file names its license',
        assignee: 'license-header',
        files: ['src/plain.ts', 'src/run.sh', 'src/done.ts'],
      },
      {
        task_id: 'write-changelog',
        title: 'Changelog',
        description: 'List what was merged',
        assignee: 'changelog',
        files: ['docs/changelog.md'],
        depends_on: ['format-messy', 'add-licenses'],
      },
    ],
  },
);

describe('tool agents', () => {
  it('call no model to write: the only model calls are the reviews', () => {
    const prompts = run.fixture.requests.map(promptOf);
    expect(prompts.length).toBe(3);
    expect(prompts.every((prompt) => prompt.includes('Review the pull request for task'))).toBe(true);
  });
});

describe('the example formatter', () => {
  it("formats the task's files with Biome and the repository's settings, and proposes only what changed", () => {
    const record = run.records.get('format-messy')!;
    expect(record.state).toBe('merged');
    expect(record.attempts[0]).toMatchObject({ agent: 'formatter', model: 'tool', files: ['src/messy.ts'] });
    expect(`${fileAt(run.root, 'main', 'src/messy.ts')}\n`).toBe(
      [
        'export const settings = {',
        '  name: "demo",',
        '  sizes: [1, 2, 3],',
        '  nested: {',
        '    deep: {',
        '      deeper: { deepest: "a long value that wraps" },',
        '    },',
        '  },',
        '};',
        '',
      ].join('\n'),
    );
    expect(`${fileAt(run.root, 'main', 'docs/notes.txt')}\n`).toBe(NOTES);
  });
});

describe('formatWithBiome', () => {
  it('refuses a file Biome cannot parse, naming the file and the problem', async () => {
    await expect(formatWithBiome(run.root, 'src/broken.ts', 'const = ;\n')).rejects.toThrow(
      /^formatter: Biome cannot format src\/broken\.ts: Expected an identifier/,
    );
  });
});

describe('the example license-header fixer', () => {
  it('adds the header in the comment style of each file, after a #! line, and leaves a file that has one', () => {
    const record = run.records.get('add-licenses')!;
    expect(record.state).toBe('merged');
    expect(record.attempts[0]?.files).toEqual(['src/plain.ts', 'src/run.sh']);
    expect(fileAt(run.root, 'main', 'src/plain.ts')).toBe(
      '// SPDX-License-Identifier: MIT\nexport const plain = 1;',
    );
    expect(fileAt(run.root, 'main', 'src/run.sh')).toBe('#!/bin/sh\n# SPDX-License-Identifier: MIT\necho hi');
    expect(`${fileAt(run.root, 'main', 'src/done.ts')}\n`).toBe(DONE);
  });

  it('knows the comment style of each kind of file, and leaves kinds it does not know', () => {
    expect(withLicenseHeader('a.css', 'a {}\n')).toBe('/* SPDX-License-Identifier: MIT */\na {}\n');
    expect(withLicenseHeader('a.md', '# A\n')).toBe('# A\n');
    expect(withLicenseHeader('x.sh', '#!/bin/sh')).toBe('#!/bin/sh\n# SPDX-License-Identifier: MIT\n');
  });
});

describe('the example changelog writer', () => {
  it('runs after the tasks it depends on and lists each merged task from its run record', async () => {
    const record = run.records.get('write-changelog')!;
    expect(record.state).toBe('merged');
    const formatted = await storedRecord(run.root, 'format-messy');
    const licensed = await storedRecord(run.root, 'add-licenses');
    const day = formatted.merged_at!.slice(0, 10);
    const [first, second] = [formatted, licensed].sort((a, b) => a.merged_at!.localeCompare(b.merged_at!));
    const line = (r: RunRecord) =>
      `- ${r.title} (\`${r.task_id}\`, by ${r.assignee}, #${r.pull_request!.number})`;
    expect(`${fileAt(run.root, 'main', 'docs/changelog.md')}\n`).toBe(
      `# Changelog\n\nWhat the factory merged, from its run records.\n\n## ${day}\n\n${line(first!)}\n${line(second!)}\n`,
    );
    expect(git(run.root, 'log', '-1', '--format=%an', 'aifactory/write-changelog')).toBe('changelog');
  });

  it('puts the newest day first and says so when nothing has merged', () => {
    const at = (id: string, merged_at: string | null, state: RunRecord['state'] = 'merged') =>
      ({
        task_id: id,
        title: null,
        state,
        merged_at,
        assignee: 'gpt',
        pull_request: null,
        attempts: [],
      }) as unknown as RunRecord;
    const text = renderChangelog([
      at('old', '2026-01-01T10:00:00Z'),
      at('new', '2026-02-01T10:00:00Z'),
      at('open', null, 'proposed'),
    ]);
    expect(text.indexOf('## 2026-02-01')).toBeLessThan(text.indexOf('## 2026-01-01'));
    expect(text).not.toContain('open');
    expect(renderChangelog([])).toContain('Nothing has been merged yet.');
  });
});
