/** The CLI starts on Node's own type stripping: no tsx, no build step, nothing extra on stderr. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../fixtures/cli.ts';

/** Fails the process when anything resolves tsx. */
const NO_TSX = join(REPO_ROOT, 'tests/fixtures/no-tsx.mjs');

function node(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd: REPO_ROOT, env: { ...process.env, FORCE_COLOR: '0', GITHUB_ACTIONS: undefined, CI: undefined } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe.runIf(process.features.typescript)('the CLI on plain Node', () => {
  it.each([['--version'], ['status'], ['validate']])(
    'runs `scripts/cli.ts %s` without tsx, and warns about nothing',
    async (command) => {
      const result = await node(['scripts/cli.ts', command]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    },
  );

  it('starts from bin/aifactory.mjs without loading tsx', async () => {
    const result = await node(['--import', NO_TSX, 'bin/aifactory.mjs', 'status']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\d+ tasks?:/);
  });
});
