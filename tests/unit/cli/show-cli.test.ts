import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../fixtures/cli.ts';
import { createSandboxRepo, simpleStory } from '../../fixtures/sandbox-repo.ts';

let root: string;
let replayDir: string;
let run: { stdout: string; stderr: string };

// The checks fail on the red task's file only, printing seven lines, one with a terminal escape.
const config = `export default {
  checks: {
    command: "if [ -f src/red.txt ]; then printf 'FAIL widget test\\\\nexpected 1\\\\n\\\\033]0;pwned\\\\007\\\\nl4\\\\nl5\\\\nl6\\\\nl7\\\\n'; exit 1; fi",
    timeout_seconds: 60,
  },
};
`;

beforeAll(async () => {
  ({ root, replayDir } = await createSandboxRepo(
    [simpleStory('red', { max_iterations: 1 }), simpleStory('picky', { max_iterations: 2 }, 2)],
    { config },
  ));
  run = await runCli(['run', '--once', '--replay', replayDir, '--no-snapshot'], { cwd: root });
}, 90_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('failures in the terminal', () => {
  it('prints the first lines of failing checks, bounded, and where the rest is kept', () => {
    expect(run.stdout).toContain('red: checks failed; back to the coder:');
    expect(run.stdout).toContain('| FAIL widget test');
    expect(run.stdout).toContain('| l4');
    expect(run.stdout).not.toContain('| l6');
    expect(run.stdout).toContain('… 2 more lines');
    // A check cannot drive the person's terminal: its escape sequence is shown, not sent.
    expect(run.stdout).not.toContain('\u001b');
    expect(run.stdout).toContain('| \\x1b]0;pwned\\x07');
    expect(run.stdout).toContain(
      'the output is kept in shared/runs/red.json; `aifactory show red` prints it',
    );
  });

  it("prints the reviewer's summary when it requests changes", () => {
    expect(run.stdout).toMatch(/picky: \S+ requests changes: Please change it\./);
  });
});

describe('aifactory show', () => {
  it("prints a task's whole story: iterations, check output, errors, with escapes made harmless", async () => {
    const result = await runCli(['show', 'red'], { cwd: root });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('state: failed');
    expect(result.stdout).toContain('iteration 1');
    expect(result.stdout).toContain('checks: failed');
    expect(result.stdout).toContain('l7');
    expect(result.stdout).toContain('last error (checks): not approved with green checks after 1 iteration;');
    expect(result.stdout).not.toContain('\u001b');
    expect(result.stdout).toContain('\\x1b]0;pwned\\x07');
  });

  it('shows verdicts with their summaries', async () => {
    const result = await runCli(['show', 'picky'], { cwd: root });
    expect(result.stdout).toContain('review: changes_requested');
    expect(result.stdout).toContain('summary: Please change it.');
    expect(result.stdout).toContain('state: merged');
  });

  it('exits 1 naming an unknown task, and has --help', async () => {
    const unknown = await runCli(['show', 'nope'], { cwd: root });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('nope: no such task');
    const help = await runCli(['show', '--help'], { cwd: root });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Print a task's whole story");
  });
});
