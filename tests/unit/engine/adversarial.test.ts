import { mkdir, readFile, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunRecordSchema } from '../../../scripts/core/record/run-record.ts';
import { runFactory } from '../../../scripts/engine/run/factory.ts';
import { createSandboxRepo, git, type TaskStory } from '../../fixtures/sandbox-repo.ts';
import { silentProgress } from '../../fixtures/silent-progress.ts';

/** One hostile proposal per protocol rule; each must be rejected whole, with nothing written. */
const ATTACKS: {
  id: string;
  rule: string;
  files: { path: string; content: string }[];
  assignee?: string;
  declared?: string[];
}[] = [
  { id: 'climb-out', rule: 'parent_segment', files: [{ path: 'src/../../outside.txt', content: 'x' }] },
  { id: 'absolute', rule: 'absolute_path', files: [{ path: '/tmp/aifactory-absolute.txt', content: 'x' }] },
  { id: 'backslash', rule: 'backslash', files: [{ path: 'src\\evil.txt', content: 'x' }] },
  { id: 'git-hook', rule: 'git_dir', files: [{ path: 'src/.git/hooks/pre-commit', content: 'rm -rf /' }] },
  { id: 'top-dir', rule: 'top_dir', files: [{ path: 'etc/passwd', content: 'x' }] },
  {
    id: 'undeclared',
    rule: 'undeclared_file',
    declared: ['src/ok.txt'],
    files: [{ path: 'src/other.txt', content: 'x' }],
  },
  {
    id: 'workflow',
    rule: 'github_permission',
    files: [{ path: '.github/workflows/steal.yml', content: 'on: push' }],
  },
  {
    id: 'many-files',
    rule: 'too_many_files',
    files: Array.from({ length: 4 }, (_, index) => ({ path: `src/many-${index}.txt`, content: 'x' })),
  },
  { id: 'big-file', rule: 'file_too_large', files: [{ path: 'src/big.txt', content: 'x'.repeat(3000) }] },
  {
    id: 'big-total',
    rule: 'total_too_large',
    files: [
      { path: 'src/t1.txt', content: 'y'.repeat(1800) },
      { path: 'src/t2.txt', content: 'y'.repeat(1800) },
    ],
  },
  {
    id: 'binary',
    rule: 'binary_content',
    files: [{ path: 'src/blob.bin', content: 'MZ\u0000\u0001\u0002binary' }],
  },
  { id: 'through-link', rule: 'symlink', files: [{ path: 'docs/linked/escape.txt', content: 'x' }] },
  {
    id: 'secret',
    rule: 'secret',
    files: [{ path: 'src/config.ts', content: `export const key = 'sk-proj-${'A1b2C3d4E5'.repeat(4)}';\n` }],
  },
];

let root: string;
let replayDir: string;
let summary: Awaited<ReturnType<typeof runFactory>>;

beforeAll(async () => {
  const stories: TaskStory[] = [
    ...ATTACKS.map((attack) => ({
      task: {
        task_id: attack.id,
        description: `attack: ${attack.rule}`,
        assignee: attack.assignee ?? 'gpt',
        files: attack.declared ?? [],
      },
      iterations: [{ files: attack.files, verdict: 'approve' as const }],
    })),
    {
      task: { task_id: 'honest', description: 'write src/ok.txt', assignee: 'gpt', files: ['src/ok.txt'] },
      iterations: [{ files: [{ path: 'src/ok.txt', content: 'fine\n' }], verdict: 'approve' as const }],
    },
  ];
  const config =
    'export default { protocol: { max_files: 3, max_file_bytes: 2048, max_total_bytes: 3000 } };\n';
  ({ root, replayDir } = await createSandboxRepo(stories, { config }));
  // docs/linked is a symbolic link committed on main.
  await mkdir(join(root, 'docs'), { recursive: true });
  await symlink('/tmp', join(root, 'docs/linked'));
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'a link');
  summary = await runFactory(root, { forge: 'local', replayDir }, silentProgress);
}, 60_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('hostile proposals', () => {
  it.each(ATTACKS)(
    'rejects $rule ($id) with the rule and the path, writing nothing',
    async ({ id, rule, files }) => {
      const record = RunRecordSchema.parse(
        JSON.parse(await readFile(join(root, 'shared/runs', `${id}.json`), 'utf8')),
      );
      expect(record.state).toBe('rejected');
      expect(record.rejection?.rule).toBe(rule);
      expect(record.rejection?.message.length).toBeGreaterThan(10);
      expect(git(root, 'branch', '--list', `aifactory/${id}`)).toBe('');
      // Paths outside the repository cannot be in it; the last test looks for them on disk.
      for (const file of files.filter((entry) => !entry.path.startsWith('/') && !entry.path.includes('..'))) {
        const inMain = git(root, 'ls-tree', '--name-only', 'main', '--', file.path.replaceAll('\\', '/'));
        expect(inMain).toBe('');
      }
    },
  );

  it('keeps secrets out of the record', async () => {
    const text = await readFile(join(root, 'shared/runs/secret.json'), 'utf8');
    expect(text).not.toContain('A1b2C3d4E5A1b2C3d4E5');
  });

  it('wrote nothing outside the repository, and the honest task in the same run merged', async () => {
    await expect(readFile('/tmp/aifactory-absolute.txt')).rejects.toThrow();
    await expect(readFile('/tmp/escape.txt')).rejects.toThrow();
    await expect(readFile(join(root, '..', 'outside.txt'))).rejects.toThrow();
    expect(summary.records.get('honest')?.state).toBe('merged');
    expect(git(root, 'show', 'main:src/ok.txt')).toBe('fine');
    expect(git(root, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/aifactory/')).toBe(
      'aifactory/honest',
    );
  });
});
