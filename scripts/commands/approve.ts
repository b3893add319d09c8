// `aifactory approve` and `aifactory close`: a person's decision on a pull request that waits for them.
import type { Command } from 'commander';
import { FactoryError } from '../core/errors.ts';
import { branchFor, decidedByPerson } from '../core/record/record-ops.ts';
import type { RunRecord } from '../core/record/run-record.ts';
import { singleLine } from '../core/security/sanitize.ts';
import { TaskIdSchema } from '../core/task/task.ts';
import { RunStore } from '../engine/store/run-store.ts';
import { TASKS_DIR } from '../engine/store/task-files.ts';
import { createForge, FORGE_KINDS, type ForgeKind } from '../forge/index.ts';
import { runGit } from '../forge/local/git.ts';
import type { Author, Forge, PullRequest } from '../forge/types.ts';
import { loadConfig } from '../io/config-loader.ts';

type Decision = 'approve' | 'close';

/** The person at the keyboard, as git knows them: their merge commit is theirs. */
async function person(root: string): Promise<Author> {
  const [name, email] = await Promise.all(
    ['user.name', 'user.email'].map(async (key) => (await runGit(root, ['config', key])).stdout.trim()),
  );
  if (!name || !email) {
    throw new FactoryError(
      'config',
      'git does not know who you are; set it with `git config user.name "Your Name"` and `git config user.email you@example.com`',
    );
  }
  return { name: name!, email: email! };
}

/**
 * The record and open pull request of `id`, which must be waiting for a person.
 * @throws FactoryError naming the task, and what to do, when it is not.
 */
async function waitingTask(
  store: RunStore,
  forge: Forge,
  id: string,
): Promise<{ record: RunRecord; pr: PullRequest }> {
  if (!TaskIdSchema.safeParse(id).success) {
    throw new FactoryError(
      'config',
      `"${singleLine(id, 80)}" is not a task id; \`aifactory status\` lists the tasks`,
    );
  }
  const record = await store.read(id);
  if (record === undefined) {
    throw new FactoryError(
      'config',
      `${id}: no run record in ${store.dir}; only a task waiting for a person (needs_human) can be approved or closed, and \`aifactory status\` lists them (its file would be ${TASKS_DIR}/${id}.json)`,
    );
  }
  if (record.state !== 'needs_human') {
    throw new FactoryError(
      'config',
      `${id}: is ${record.state}, not waiting for a person (needs_human); only such a task is approved or closed here`,
    );
  }
  const pr = await forge.findPullRequest(branchFor(id));
  if (pr?.state !== 'open') {
    throw new FactoryError(
      'forge',
      `${id}: its pull request is ${pr ? pr.state : 'gone'} already; the next \`run\` records that`,
    );
  }
  return { record, pr };
}

/** Merges or closes the pull request of `id` as `who`, and records the decision as theirs. */
async function decide(root: string, id: string, decision: Decision): Promise<string> {
  const who = await person(root);
  const config = await loadConfig(root);
  const forge = await createForge('local', { root, defaultBranch: config.default_branch, committer: who });
  const store = new RunStore(root);
  const { record, pr } = await waitingTask(store, forge, id);
  const by = `${who.name} <${who.email}>`;
  const now = new Date().toISOString();
  if (decision === 'close') {
    await forge.closePullRequest(pr);
    await store.write(decidedByPerson(record, { merged: false }, by, now));
    return `${id}: pull request #${pr.number} closed; the task is failed (\`aifactory retry ${id}\` reopens it), its branch ${pr.branch} is kept`;
  }
  const outcome = await forge.merge(pr, {
    message: `Merge task ${id}: ${singleLine(record.title ?? id)}\n\nApproved by ${singleLine(by)}.`,
    head: pr.head,
  });
  if (outcome.kind === 'waiting') {
    // The person's own uncommitted work is in the way: theirs to settle, then approve again.
    throw new FactoryError(
      'forge',
      `${id}: pull request #${pr.number} did not merge: ${outcome.reason}, then run \`aifactory approve ${id}\` again`,
    );
  }
  if (outcome.kind !== 'merged') {
    const why = outcome.kind === 'conflict' ? `it conflicts in ${outcome.paths.join(', ')}` : outcome.kind;
    throw new FactoryError(
      'forge',
      `${id}: pull request #${pr.number} did not merge: ${why}; merge it yourself with \`git merge ${pr.branch}\`, and the next run records it`,
    );
  }
  await store.write(decidedByPerson(record, { merged: true, commit: outcome.commit }, by, now));
  return `${id}: pull request #${pr.number} merged as ${outcome.commit.slice(0, 12)}, by ${by}`;
}

/** Registers `approve` or `close`: both are the person's, for the local forge. */
function registerDecision(program: Command, decision: Decision): void {
  const verb = decision === 'approve' ? 'Merge' : 'Close';
  program
    .command(decision)
    .description(
      `${verb} the pull request of a task waiting for a person (needs_human), as your decision; local forge.`,
    )
    .argument('<task_id>', 'the task waiting for a person')
    .option('--forge <kind>', `where its pull request is: ${FORGE_KINDS.join(' or ')}`, 'local')
    .addHelpText(
      'after',
      `
An approved change to the control plane is never merged by the factory: it waits for a person.
${
  decision === 'approve'
    ? `\`approve\` merges it into the default branch as you (git's user.name and user.email), like
\`git merge aifactory/<task_id>\` on the default branch would, and records the task as merged.`
    : `\`close\` closes it without merging and records the task as failed (\`retry\` reopens it);
the branch is kept. Deleting the branch (\`git branch -D aifactory/<task_id>\`) closes it too.`
}
On GitHub, merge or close the pull request on GitHub itself; the next run records it.

Example:
  npm run aifactory -- ${decision} task_1005`,
    )
    .action(async (id: string, options: { forge: string }) => {
      if (options.forge !== 'local') {
        const github = (options.forge as ForgeKind) === 'github';
        console.error(
          github
            ? `${decision} is for the local forge. On GitHub, ${decision === 'approve' ? 'merge' : 'close'} the pull request of ${id} on GitHub itself (its page, or \`gh pr ${decision === 'approve' ? 'merge' : 'close'}\`); the next run records it`
            : `--forge: unknown forge "${options.forge}"; use local`,
        );
        process.exitCode = 2;
        return;
      }
      try {
        console.log(await decide(process.cwd(), id, decision));
        process.exitCode = 0;
      } catch (error) {
        if (!(error instanceof FactoryError)) throw error;
        console.error(error.message);
        process.exitCode = 1;
      }
    });
}

/** `aifactory approve <task_id>`: the person's merge of a pull request that waits for them. */
export function registerApprove(program: Command): void {
  registerDecision(program, 'approve');
}

/** `aifactory close <task_id>`: the person closes a pull request that waits for them, unmerged. */
export function registerClose(program: Command): void {
  registerDecision(program, 'close');
}
