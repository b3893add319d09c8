// The factory as CI: `checks.command` on a commit's tarball in the sandbox, posted as `aifactory/checks`.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FactoryError } from '../../core/errors.ts';
import { type CheckSandbox, createCheckSandbox } from '../sandbox.ts';
import { CHECKS_STATUS_CONTEXT } from './checks.ts';
import { attempt, type GitHubClient } from './client.ts';
import { statusContent, withSignature } from './trust.ts';

/** How much of the command's output is kept: its end, where the failure is (as the local forge does). */
const OUTPUT_CHARS = 4000;
/** `checks.command`, its time limit, and where it runs (default: the isolating sandbox). */
export interface SelfChecks {
  command: string;
  timeoutSeconds: number;
  sandbox?: CheckSandbox;
}

function untar(archive: string, into: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', ['-xzf', archive, '-C', into, '--strip-components=1'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new FactoryError('forge', `could not unpack the commit's tarball: ${stderr.trim()}`)),
    );
  });
}

function bytesOf(data: unknown): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new FactoryError('forge', 'GitHub sent the tarball in an unexpected form');
}

/**
 * Runs `checks.command` on `sha` as GitHub holds it — its tarball, unpacked in a temporary
 * folder, in the checks sandbox (the factory's checkout hidden with its git credentials) — and posts the result as the commit
 * status `aifactory/checks`. For a set-up where the factory's pushes start no workflow (it
 * writes with GITHUB_TOKEN): the factory is then the CI. Returns the status and the output tail.
 */
export async function runChecksOnCommit(
  octokit: GitHubClient,
  repo: { owner: string; repo: string },
  sha: string,
  checks: SelfChecks,
  sign: (content: string) => string | undefined = () => undefined,
): Promise<{ state: 'success' | 'failure'; output: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'aifactory-checks-'));
  try {
    const { data } = await attempt(`downloading ${sha.slice(0, 12)} to run the checks`, () =>
      octokit.rest.repos.downloadTarballArchive({ ...repo, ref: sha }),
    );
    const archive = join(dir, 'commit.tar.gz');
    await writeFile(archive, bytesOf(data));
    const tree = join(dir, 'tree');
    await mkdir(tree);
    await untar(archive, tree);
    const { code, output } = await (checks.sandbox ?? createCheckSandbox()).run({
      command: checks.command,
      tree,
      timeoutMs: checks.timeoutSeconds * 1000,
    });
    const tail = output.length > OUTPUT_CHARS ? output.slice(-OUTPUT_CHARS) : output;
    const state = code === 0 ? 'success' : 'failure';
    const lastLine = tail.trimEnd().split('\n').at(-1)?.trim() ?? '';
    // The output's last line first: it says what failed, and the signature takes part of the room.
    const description = `${lastLine ? `${lastLine} · ` : ''}${checks.command} exited ${code}`;
    await attempt(`posting the ${CHECKS_STATUS_CONTEXT} status of ${sha.slice(0, 12)}`, () =>
      octokit.rest.repos.createCommitStatus({
        ...repo,
        sha,
        state,
        context: CHECKS_STATUS_CONTEXT,
        // Signed, so no other workflow writing as the same identity can pass for the factory's checks.
        description: withSignature(description, sign(statusContent(sha, CHECKS_STATUS_CONTEXT, state))),
      }),
    );
    return { state, output: `${CHECKS_STATUS_CONTEXT}: ${state}\n${tail}` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
