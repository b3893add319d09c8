import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_AGENTS } from '../../../../scripts/agents/registry.ts';
import { ConfigSchema } from '../../../../scripts/core/config.ts';
import { SecretGuard } from '../../../../scripts/engine/guard/secret-guard.ts';
import { tailOf } from '../../../../scripts/engine/tools/run-checks.ts';
import { boundResult, TOOL_NAMES, toolDeclarations } from '../../../../scripts/engine/tools/tool-table.ts';
import { isElisionMarker, nearestLines, vetEdits } from '../../../../scripts/engine/tools/write-tools.ts';
import { MemoryForge } from '../../../fixtures/memory-forge.ts';
import { createTrapRepo, removeRepo, taskOf, toolboxFor } from './tools-fixture.ts';

let root: string;

beforeAll(async () => {
  ({ root } = await createTrapRepo());
}, 60_000);
afterAll(() => removeRepo(root));

describe('the tool table', () => {
  it('declares exactly the contract tools, with their arguments', () => {
    const declarations = toolDeclarations();
    expect(declarations.map((tool) => tool.name)).toEqual([
      'list_files',
      'read_file',
      'search',
      'edit_file',
      'write_file',
      'delete_file',
      'run_checks',
      'finish',
    ]);
    const fields = Object.fromEntries(
      declarations.map((tool) => [tool.name, Object.keys(tool.parameters.properties as object)]),
    );
    expect(fields).toEqual({
      list_files: ['path', 'glob'],
      read_file: ['path', 'start_line', 'end_line'],
      search: ['pattern', 'path', 'glob', 'regex'],
      edit_file: ['path', 'old_text', 'new_text', 'replace_all'],
      write_file: ['path', 'content'],
      delete_file: ['path'],
      run_checks: [],
      finish: ['summary'],
    });
    for (const tool of declarations) {
      expect(tool.parameters).toMatchObject({ type: 'object', additionalProperties: false });
      expect(tool.parameters).not.toHaveProperty('$schema');
      expect(tool.description.length).toBeGreaterThan(10);
    }
    expect(declarations.find((tool) => tool.name === 'edit_file')?.parameters.required).toEqual([
      'path',
      'old_text',
      'new_text',
    ]);
  });

  it('declares a subset on request (the reviewer reads only)', () => {
    expect(toolDeclarations(['read_file']).map((tool) => tool.name)).toEqual(['read_file']);
    expect(TOOL_NAMES).toHaveLength(8);
  });

  it('bounds every answer in bytes, at a character boundary, saying so', async () => {
    const { call } = await toolboxFor(root, { limits: { resultBytes: 100 } });
    const result = await call('list_files', {});
    expect(Buffer.byteLength(result.text)).toBeLessThanOrEqual(100);
    expect(result.text).toMatch(/answer cut at 100 of \d+ bytes/);
    expect(boundResult('ééééé', 8)).not.toContain('\uFFFD');
  });

  it('takes arguments as parsed JSON, as a JSON text, or absent', async () => {
    const { call } = await toolboxFor(root);
    expect((await call('read_file', '{"path":"docs/guide.md"}')).text).toContain('1\t# Guide');
    expect((await call('list_files', '')).ok).toBe(true);
    expect((await call('list_files', undefined)).ok).toBe(true);
    expect((await call('run_checks', null)).rule).toBe('checks_unavailable');
  });
});

describe('list_files', () => {
  it('lists what git shows, untracked-not-ignored included, under a folder', async () => {
    const { call } = await toolboxFor(root);
    const text = (await call('list_files', { path: 'src/' })).text;
    expect(text.split('\n')).toEqual(
      expect.arrayContaining(['src/app.ts', 'src/untracked.ts', 'src/large.txt']),
    );
    expect(text).not.toContain('docs/');
    expect(text).not.toContain('src/debug.log');
  });

  it('filters by name without a "/" and by path with one', async () => {
    const { call } = await toolboxFor(root);
    expect((await call('list_files', { glob: '*.md' })).text.split('\n')).toEqual([
      'README.md',
      'docs/guide.md',
    ]);
    expect((await call('list_files', { glob: 'tests/**' })).text).toBe('tests/app.test.ts');
  });

  it('ends a long listing with a "… N more" line', async () => {
    const { call } = await toolboxFor(root, { limits: { listEntries: 2 } });
    const lines = (await call('list_files', {})).text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/^… \d+ more; narrow with path or glob$/);
  });

  it('says when nothing matches, and shows edits', async () => {
    const { copy, call } = await toolboxFor(root);
    expect((await call('list_files', { path: 'nowhere' })).text).toBe('no files under "nowhere"');
    copy.write('src/made.ts', 'x');
    copy.delete('src/app.ts');
    const text = (await call('list_files', { path: 'src' })).text;
    expect(text).toContain('src/made.ts');
    expect(text).not.toContain('src/app.ts');
  });
});

describe('read_file', () => {
  it('numbers the lines and says where the file ends', async () => {
    const { call } = await toolboxFor(root);
    const text = (await call('read_file', { path: 'src/app.ts', start_line: 11 })).text;
    expect(text).toBe(
      '11\texport const value11 = 11;\n12\texport const value12 = 12;\n[lines 11-12 of 12, end of file]',
    );
  });

  it('stops at the line bound and says how to read on', async () => {
    const { call } = await toolboxFor(root, { limits: { readLines: 5 } });
    const text = (await call('read_file', { path: 'src/app.ts' })).text;
    expect(text.split('\n')).toHaveLength(6);
    expect(text).toContain('[lines 1-5 of 12; read on with start_line=6]');
    expect((await call('read_file', { path: 'src/app.ts', start_line: 2, end_line: 3 })).text).toContain(
      '[lines 2-3 of 12]',
    );
  });

  it('stops at the byte bound and says how to read on', async () => {
    const { call } = await toolboxFor(root, { limits: { resultBytes: 300 } });
    const text = (await call('read_file', { path: 'src/app.ts' })).text;
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(300);
    expect(text).toMatch(/read on with start_line=\d+\]$/);
  });

  it('cuts a long line, and notes CRLF endings without showing them', async () => {
    const { copy, call } = await toolboxFor(root, { limits: { lineChars: 10 } });
    copy.write('src/long.ts', `${'y'.repeat(50)}\n`);
    expect((await call('read_file', { path: 'src/long.ts' })).text).toContain(
      'yyyyyyyyyy … [line cut at 10 of 50 characters]',
    );
    const crlf = (await (await toolboxFor(root)).call('read_file', { path: 'src/crlf.txt' })).text;
    expect(crlf).toContain('1\tfirst line\n2\tsecond line');
    expect(crlf).not.toContain('\r');
    expect(crlf).toContain('CRLF line endings');
  });

  it('refuses a range past the end or backwards, and says an empty file is empty', async () => {
    const { copy, call } = await toolboxFor(root);
    expect((await call('read_file', { path: 'src/app.ts', start_line: 13 })).rule).toBe('bad_range');
    expect((await call('read_file', { path: 'src/app.ts', start_line: 5, end_line: 4 })).rule).toBe(
      'bad_range',
    );
    copy.write('src/empty.ts', '');
    expect((await call('read_file', { path: 'src/empty.ts' })).text).toBe('"src/empty.ts" is empty');
  });

  it('reads a large file by range, and refuses a line past what it may scan', async () => {
    const { call } = await toolboxFor(root, { limits: { readLines: 3 } });
    const text = (await call('read_file', { path: 'src/large.txt', start_line: 100_000 })).text;
    expect(text).toMatch(
      /^100000\tline 100000 x+\n100001\tline 100001 x+\n100002\tline 100002 x+\n\[lines 100000-100002 of a large file \(\d+ bytes\); read on with start_line=100003\]$/,
    );
    const far = await toolboxFor(root, { limits: { scanBytes: 64 * 1024 } });
    expect((await far.call('read_file', { path: 'src/large.txt', start_line: 100_000 })).rule).toBe(
      'bad_range',
    );
    const last = await far.call('read_file', { path: 'src/large.txt', start_line: 1, end_line: 1 });
    expect(last.text).toContain('1\tline 1 ');
  });
});

describe('search', () => {
  it('finds a literal as path:line: text, edits included', async () => {
    const { copy, call } = await toolboxFor(root);
    copy.write('src/made.ts', 'a\nvalue12 again\n');
    const text = (await call('search', { pattern: 'value12', path: 'src' })).text;
    expect(text).toBe(
      'src/app.ts:12: export const value12 = 12;\nsrc/made.ts:2: value12 again\n(5 large, binary or unreadable files not searched)',
    );
  });

  it('reads regex metacharacters literally unless regex is set', async () => {
    const { call } = await toolboxFor(root);
    expect((await call('search', { pattern: 'value1.', glob: '*.ts' })).text).toMatch(/^no matches/);
    const found = (
      await call('search', { pattern: '^export const value1[01] ', regex: true, glob: 'app.ts' })
    ).text;
    expect(found.split('\n')).toEqual([
      'src/app.ts:10: export const value10 = 10;',
      'src/app.ts:11: export const value11 = 11;',
    ]);
    const anchored = (
      await call('search', { pattern: '(?i)EXPORT const value2 ', regex: true, glob: 'app.ts' })
    ).text;
    expect(anchored).toBe('src/app.ts:2: export const value2 = 2;');
  });

  it('ends with a "… N more matches" line past the bound, and cuts long lines', async () => {
    const { copy, call } = await toolboxFor(root, { limits: { searchMatches: 2, lineChars: 12 } });
    const text = (await call('search', { pattern: 'export const', path: 'src', glob: 'app.ts' })).text;
    expect(text.split('\n')).toEqual([
      'src/app.ts:1: export const … [line cut at 12 of 24 characters]',
      'src/app.ts:2: export const … [line cut at 12 of 24 characters]',
      '… 10 more matches; narrow with path or glob',
    ]);
    copy.write('src/x.ts', '');
    expect((await call('search', { pattern: '' })).rule).toBe('invalid_arguments');
  });

  it('stops counting a pattern that matches everywhere, and says the count is a floor', async () => {
    const { copy, call } = await toolboxFor(root, { limits: { searchMatches: 2, searchCount: 5 } });
    copy.write('src/more.ts', 'export const more = 1;\n');
    const text = (await call('search', { pattern: 'export const', path: 'src' })).text;
    expect(text.split('\n')).toEqual([
      'src/app.ts:1: export const value1 = 1;',
      'src/app.ts:2: export const value2 = 2;',
      '… at least 10 more matches (counting stopped at 5); narrow with path or glob',
    ]);
  });

  it('finds a literal on the last line without a newline, once per line, never across lines', async () => {
    const { copy, call } = await toolboxFor(root);
    copy.write('src/lines.txt', 'a needle\r\nno\nneedle needle again\nlast needle');
    const found = (await call('search', { pattern: 'needle', glob: 'lines.txt' })).text;
    expect(found.split('\n')).toEqual([
      'src/lines.txt:1: a needle',
      'src/lines.txt:3: needle needle again',
      'src/lines.txt:4: last needle',
    ]);
    expect((await call('search', { pattern: 'no\nneedle', glob: 'lines.txt' })).text).toMatch(/^no matches/);
  });
});

describe('edit_file', () => {
  it('replaces one occurrence, or all with replace_all', async () => {
    const { copy, call } = await toolboxFor(root);
    expect(
      await call('edit_file', { path: 'src/app.ts', old_text: 'value3 = 3', new_text: 'value3 = 33' }),
    ).toMatchObject({ ok: true });
    expect((await copy.read('src/app.ts')).kind === 'text' && (await copy.read('src/app.ts'))).toMatchObject({
      text: expect.stringContaining('value3 = 33;'),
    });
    expect(
      await call('edit_file', {
        path: 'src/dup.ts',
        old_text: 'const a = 1;',
        new_text: 'const a = 2;',
        replace_all: true,
      }),
    ).toMatchObject({
      ok: true,
      text: expect.stringContaining('2 replacement(s)'),
    });
    expect(copy.edits().changes.find((file) => file.path === 'src/dup.ts')?.content).toBe(
      'const a = 2;\nlet b = 2;\nconst a = 2;\n',
    );
  });

  it('shows the nearest lines with their numbers when old_text does not match', async () => {
    const { call } = await toolboxFor(root);
    const result = await call('edit_file', {
      path: 'src/app.ts',
      old_text: 'export const value7 =  7;',
      new_text: 'x',
    });
    expect(result.rule).toBe('no_match');
    expect(result.text).toContain('7\texport const value7 = 7;');
  });

  it('names the lines of every occurrence when old_text is ambiguous', async () => {
    const { call } = await toolboxFor(root);
    const result = await call('edit_file', { path: 'src/dup.ts', old_text: 'const a = 1;', new_text: 'x' });
    expect(result.text).toContain('occurs 2 times in "src/dup.ts" (at lines 1, 3)');
  });

  it('matches and writes with the CRLF endings of the file', async () => {
    const { copy, call } = await toolboxFor(root);
    const result = await call('edit_file', {
      path: 'src/crlf.txt',
      old_text: 'first line\nsecond line',
      new_text: 'one\ntwo',
    });
    expect(result.ok).toBe(true);
    expect(copy.edits().changes[0]).toEqual({
      path: 'src/crlf.txt',
      content: 'one\r\ntwo\r\nthird line\r\n',
    });
  });

  it('refuses a file too large to edit, and a file that is not there', async () => {
    const { call } = await toolboxFor(root);
    expect(
      (await call('edit_file', { path: 'src/large.txt', old_text: 'line 1 ', new_text: 'x' })).rule,
    ).toBe('file_too_large');
    expect((await call('edit_file', { path: 'src/none.ts', old_text: 'a', new_text: 'b' })).rule).toBe(
      'not_found',
    );
  });
});

describe('write_file and delete_file', () => {
  it('creates and replaces files, reads seeing the overlay', async () => {
    const { copy, call } = await toolboxFor(root);
    expect(
      await call('write_file', { path: 'src/new/deep.ts', content: 'export const deep = 1;\n' }),
    ).toMatchObject({ ok: true });
    expect((await call('read_file', { path: 'src/new/deep.ts' })).text).toContain(
      '1\texport const deep = 1;',
    );
    expect(
      await call('write_file', { path: 'docs/guide.md', content: '# Guide\n\nUse the app well.\n' }),
    ).toMatchObject({ ok: true });
    expect(copy.edits().changes.map((file) => file.path)).toEqual(['docs/guide.md', 'src/new/deep.ts']);
  });

  it('keeps an elision-like line the file already held', async () => {
    const { copy, call } = await toolboxFor(root);
    copy.write('src/notes.ts', '// ... rest unchanged\nexport {};\n');
    expect(
      await call('write_file', {
        path: 'src/notes.ts',
        content: '// ... rest unchanged\nexport {}; // ok\n',
      }),
    ).toMatchObject({ ok: true });
  });

  it('records a deletion of a listed file, and forgets a file it created', async () => {
    const { copy, call } = await toolboxFor(root);
    await call('write_file', { path: 'src/tmp.ts', content: 'x' });
    expect(await call('delete_file', { path: 'src/tmp.ts' })).toMatchObject({ ok: true });
    expect(await call('delete_file', { path: 'src/app.ts' })).toMatchObject({ ok: true });
    expect((await call('read_file', { path: 'src/app.ts' })).rule).toBe('not_found');
    expect(copy.edits()).toEqual({ changes: [], deletions: ['src/app.ts'] });
    expect((await call('delete_file', { path: 'src/app.ts' })).rule).toBe('not_found');
  });

  it('refuses two names that are one file on Windows and macOS', async () => {
    const { call } = await toolboxFor(root);
    await call('write_file', { path: 'src/Case.ts', content: 'x' });
    expect((await call('write_file', { path: 'src/case.ts', content: 'y' })).rule).toBe('name_collision');
  });
});

describe('elision markers and nearest lines', () => {
  it.each([
    '// ... rest unchanged',
    '# (unchanged)',
    '/* ... */ existing code',
    '  // … existing code …',
    '<!-- rest of the file unchanged -->',
    '# rest of file',
  ])('reads "%s" as code left out', (line) => {
    expect(isElisionMarker(line)).toBe(true);
  });

  it.each(['// keep the existing behaviour', 'const rest = 1; // unchanged API', 'x = "..."', '# Usage'])(
    'reads "%s" as an honest line',
    (line) => {
      expect(isElisionMarker(line)).toBe(false);
    },
  );

  it('ranks lines by shared tokens and finds nothing in unrelated text', () => {
    expect(nearestLines('alpha beta\ngamma\nalpha', 'alpha beta gamma')).toEqual([
      '1\talpha beta',
      '2\tgamma',
      '3\talpha',
    ]);
    expect(nearestLines('one\ntwo', '\n\n')).toEqual([]);
  });
});

describe('run_checks', () => {
  it('runs the injected runner on the edits and keeps the tail of its output', async () => {
    const seen: string[] = [];
    const { call } = await toolboxFor(root, {
      limits: { checksOutputBytes: 100 },
      runChecks: async (edits) => {
        seen.push(...edits.changes.map((file) => file.path));
        return { code: 0, output: `${'noise\n'.repeat(100)}all 12 tests passed\n` };
      },
    });
    await call('write_file', { path: 'src/made.ts', content: 'x' });
    const result = await call('run_checks', {});
    expect(seen).toEqual(['src/made.ts']);
    expect(result.text).toMatch(/^exit code 0 \(passed\)\n… \[\d+ bytes of output before this cut\]\n/);
    expect(result.text).toContain('all 12 tests passed');
    expect(Buffer.byteLength(result.text)).toBeLessThan(200);
  });

  it('answers that checks are not available without a runner', async () => {
    const { call } = await toolboxFor(root);
    expect((await call('run_checks', {})).text).toContain('checks are not available in this run');
  });

  it('keeps a short output whole', () => {
    expect(tailOf('short', 10)).toBe('short');
  });
});

describe('finish and the proposal', () => {
  const context = (forge: MemoryForge) => ({
    task: taskOf(),
    agent: BUILTIN_AGENTS.find((agent) => agent.name === 'gpt')!,
    protocol: ConfigSchema.parse({}).protocol,
    plugins: [],
    forge,
    secrets: new SecretGuard([]),
  });

  it('hands the edits over with the summary, and vetProposal accepts a clean change', async () => {
    const { toolbox, call } = await toolboxFor(root);
    await call('edit_file', { path: 'src/app.ts', old_text: 'value1 = 1', new_text: 'value1 = 10' });
    await call('delete_file', { path: 'src/dup.ts' });
    expect(await call('finish', { summary: 'Raised value1.' })).toMatchObject({
      text: 'finished: 1 file written, 1 deleted',
    });
    const finished = toolbox.finished!;
    expect(finished.summary).toBe('Raised value1.');
    expect(finished.edits.deletions).toEqual(['src/dup.ts']);
    expect(await vetEdits(finished.edits, context(new MemoryForge()))).toBeUndefined();
  });

  it('vets the whole again: a path the default branch holds as a link is refused', async () => {
    const forge = new MemoryForge();
    forge.symlinks.add('src/linked');
    const rejection = await vetEdits(
      { changes: [{ path: 'src/linked/x.ts', content: 'x' }], deletions: [] },
      context(forge),
    );
    expect(rejection?.rule).toBe('symlink');
  });

  it('vets deletions by their path', async () => {
    const rejection = await vetEdits(
      { changes: [], deletions: ['tasks/t1.json'] },
      context(new MemoryForge()),
    );
    expect(rejection?.rule).toBe('control_plane');
  });
});

describe('a working copy that goes on from the task branch', () => {
  const branch = {
    written: new Map([
      ['src/app.ts', 'export const value1 = 100; // from the branch\n'],
      ['src/new-on-branch.ts', 'export const fresh = "branch";\n'],
      ['src/blob.bin', 'PNG\u0000\u0001binary'],
    ]),
    deleted: ['docs/guide.md'],
  };

  it('reads, lists and searches what the branch holds over the disk', async () => {
    const { call } = await toolboxFor(root, { branch });
    expect((await call('read_file', { path: 'src/app.ts' })).text).toContain('1\texport const value1 = 100;');
    expect((await call('read_file', { path: 'src/new-on-branch.ts' })).text).toContain('"branch"');
    const listed = (await call('list_files', { path: 'src' })).text;
    expect(listed).toContain('src/new-on-branch.ts');
    expect((await call('list_files', { path: 'docs' })).text).not.toContain('docs/guide.md');
    const found = (await call('search', { pattern: 'from the branch' })).text;
    expect(found.split('\n')[0]).toBe('src/app.ts:1: export const value1 = 100; // from the branch');
    expect(found.split('\n')).toHaveLength(2);
    expect((await call('search', { pattern: 'value12' })).text).toMatch(/^no matches/);
  });

  it('refuses a file the branch deleted, and a binary file of the branch with its size', async () => {
    const { call } = await toolboxFor(root, { branch });
    expect(await call('read_file', { path: 'docs/guide.md' })).toMatchObject({
      ok: false,
      rule: 'not_found',
    });
    expect(await call('read_file', { path: 'src/blob.bin' })).toMatchObject({ ok: false, rule: 'binary' });
    expect((await call('search', { pattern: 'binary' })).text).not.toContain('src/blob.bin:');
  });

  it('edits the branch text, deletes a file the branch added, and writes back one it deleted', async () => {
    const { call, copy } = await toolboxFor(root, { branch });
    const edit = await call('edit_file', { path: 'src/app.ts', old_text: '= 100', new_text: '= 101' });
    expect(edit.ok).toBe(true);
    expect((await call('delete_file', { path: 'src/new-on-branch.ts' })).ok).toBe(true);
    expect((await call('write_file', { path: 'docs/guide.md', content: '# Back\n' })).ok).toBe(true);
    expect(copy.edits()).toEqual({
      changes: [
        { path: 'docs/guide.md', content: '# Back\n' },
        { path: 'src/app.ts', content: 'export const value1 = 101; // from the branch\n' },
      ],
      deletions: ['src/new-on-branch.ts'],
    });
  });
});
