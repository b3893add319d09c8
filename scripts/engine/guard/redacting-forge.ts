// The forge with the run's secrets redacted from commit messages, pull requests, reviews and check output.
import type { Forge } from '../../forge/types.ts';
import type { SecretGuard } from './secret-guard.ts';

/** What the forge acts on rather than shows: the verdict (an enum) and the commit reviewed. */
const REVIEW_DATA: ReadonlySet<string> = new Set(['verdict', 'commit']);

/**
 * `forge` with the run's secrets redacted from all the text the factory writes through it besides
 * file contents: commit messages and trailers, pull request titles and bodies (the task's text),
 * reviews (a reviewer may quote anything), merge messages, and the check output it reads back.
 * File contents pass unchanged: a proposal holding a secret never gets this far (`vetProposal`),
 * and a file is never silently altered.
 */
export function redactingForge(forge: Forge, guard: SecretGuard): Forge {
  const redact = (text: string) => guard.redact(text);
  return {
    id: forge.id,
    findPullRequest: (branch) => forge.findPullRequest(branch),
    pushIteration: (input) =>
      forge.pushIteration({
        ...input,
        message: redact(input.message),
        trailers: guard.redactDeep(input.trailers),
      }),
    openPullRequest: (input) =>
      forge.openPullRequest({ ...input, title: redact(input.title), body: redact(input.body) }),
    commentOnce: (pr, key, body) => forge.commentOnce(pr, key, redact(body)),
    closePullRequest: (pr) => forge.closePullRequest(pr),
    addReview: (pr, review) => forge.addReview(pr, guard.redactDeep(review, REVIEW_DATA)),
    findReview: (pr, at) => forge.findReview(pr, at),
    changedFiles: (pr) => forge.changedFiles(pr),
    labelPullRequest: (pr, labels) => forge.labelPullRequest(pr, labels),
    readChecks: async (pr) => {
      const report = await forge.readChecks(pr);
      return { ...report, output: redact(report.output) };
    },
    merge: (pr, input) => forge.merge(pr, { ...input, message: redact(input.message) }),
    readFile: (path, ref) => forge.readFile(path, ref),
    inspectPaths: (paths, ref) => forge.inspectPaths(paths, ref),
    ignoredPaths: (paths) => forge.ignoredPaths(paths),
    commitToDefaultBranch: (input) =>
      forge.commitToDefaultBranch({ ...input, message: redact(input.message) }),
    // Reads for the dashboard pass as they are: the snapshot builder redacts what it writes.
    ...(forge.reports ? { reports: forge.reports } : {}),
    close: () => forge.close(),
  };
}
