/** The commit a worktree has checked out, read from git's files in process; `git rev-parse` where they are not plain. */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A commit id, SHA-1 or SHA-256. */
const COMMIT = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
/** A symbolic HEAD naming a branch. */
const BRANCH_REF = /^ref: (refs\/heads\/[^\s]+)$/;

/** Each worktree's git folders, asked once: its own (HEAD) and the common one (refs). */
const folders = new Map<string, Promise<{ gitDir: string; commonDir: string }>>();

function gitFolders(root: string): Promise<{ gitDir: string; commonDir: string }> {
  let found = folders.get(root);
  if (!found) {
    found = run('git', ['rev-parse', '--git-dir', '--git-common-dir'], { cwd: root }).then(({ stdout }) => {
      const [gitDir = '', commonDir = ''] = stdout.trim().split('\n');
      const absolute = (dir: string) => (isAbsolute(dir) ? dir : join(root, dir));
      return { gitDir: absolute(gitDir), commonDir: absolute(commonDir) };
    });
    folders.set(root, found);
    found.catch(() => folders.delete(root));
  }
  return found;
}

const text = (path: string) => readFile(path, 'utf8').catch(() => undefined);

/** The commit of HEAD from the files alone: a detached HEAD, or a branch's loose or packed ref. */
async function headFromFiles(root: string): Promise<string | undefined> {
  const { gitDir, commonDir } = await gitFolders(root);
  const head = (await text(join(gitDir, 'HEAD')))?.trim();
  if (head === undefined) return undefined;
  if (COMMIT.test(head)) return head;
  const ref = BRANCH_REF.exec(head)?.[1];
  // A ref store other than files (reftable) keeps no readable refs: git answers then.
  if (!ref || (await text(join(commonDir, 'reftable', 'tables.list'))) !== undefined) return undefined;
  const loose = (await text(join(commonDir, ref)))?.trim();
  if (loose !== undefined) return COMMIT.test(loose) ? loose : undefined;
  for (const line of ((await text(join(commonDir, 'packed-refs'))) ?? '').split('\n')) {
    const [id, name] = line.split(' ');
    if (name === ref && id && COMMIT.test(id)) return id;
  }
  return undefined;
}

/**
 * The commit checked out in the worktree at `root`, or undefined before its first commit. Read
 * from `HEAD` and the branch's ref in process (no git process after the first call), and asked of
 * `git rev-parse` whenever the files say anything else.
 * @throws Error when `root` is not in a git repository.
 */
export async function headCommit(root: string): Promise<string | undefined> {
  const fromFiles = await headFromFiles(root);
  if (fromFiles) return fromFiles;
  const asked = await run('git', ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { cwd: root }).catch(
    (error: { code?: unknown }) => {
      // Exit 1 is "no such commit": a repository before its first commit.
      if (error.code === 1) return undefined;
      throw error;
    },
  );
  return asked?.stdout.trim() || undefined;
}
