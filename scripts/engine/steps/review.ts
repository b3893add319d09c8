// The review step: the checks first, then the reviewer's verdict, which approves or asks for changes.
import { usesTools } from '../../agents/types.ts';
import { type ErrorInfo, toErrorInfo } from '../../core/errors.ts';
import { branchFor, transition } from '../../core/record/record-ops.ts';
import type { RunRecord } from '../../core/record/run-record.ts';
import { parseVerdict, type Verdict, VerdictSchema } from '../../core/record/verdict.ts';
import { singleLine } from '../../core/security/sanitize.ts';
import { HOLD_LABEL } from '../../forge/labels.ts';
import type { CheckReport, PullRequest } from '../../forge/types.ts';
import { plural, printable } from '../../ui/words.ts';
import { branchFilesOf } from '../agent-loop/coder-context.ts';
import { interruptedSession } from '../agent-loop/coder-session.ts';
import type { LoopProgress } from '../agent-loop/loop.ts';
import { type ReviewerSession, reviewerSession } from '../agent-loop/reviewer-session.ts';
import { reviewerPrompt } from '../prompts.ts';
import type { TaskContext } from '../run/task-context.ts';
import type { BranchFiles } from '../tools/working-copy.ts';
import type { AgentAnswer } from '../types.ts';
import { pullRequestGone } from './merge.ts';
import { personDecided } from './person.ts';

/** Checks first (they cost no tokens); when they are green or there are none, the reviewer's verdict. */
export async function review(ctx: TaskContext): Promise<boolean> {
  const { forge } = ctx.services;
  const record = ctx.record;
  const pr = await forge.findPullRequest(branchFor(record.task_id));
  if (!pr) return pullRequestGone(ctx);
  // Merged, closed or its branch deleted by a person: nothing left to check or review.
  if (await personDecided(ctx, pr)) return true;
  const started = ctx.services.now();
  const checks = await forge.readChecks(pr);
  // With no checks configured there is no step to show.
  if (checks.state !== 'none') ctx.say(`iteration ${record.iteration}: checks ${checks.state}`);
  if (checks.state === 'pending' || checks.state === 'missing') return waitForChecks(ctx, pr, checks);
  // A finished check run is recorded with the verdict, in the same write, so a resumed review
  // never records the checks twice.
  let withChecks: RunRecord = { ...ctx.record, checks_pending_since: null };
  if (checks.state !== 'none') {
    withChecks = {
      ...ctx.withAttempt({
        ...ctx.attempt('checks', started),
        result: checks.state,
        commit: pr.head,
        ...(checks.state === 'failed' ? { output: checks.output } : {}),
      }),
      checks_pending_since: null,
    };
    if (checks.state === 'failed') {
      ctx.say(`checks failed; back to the coder${failureExcerpt(checks.output, record.task_id)}`);
      await ctx.save(transition(withChecks, 'request_changes', ctx.now()));
      return true;
    }
  }
  return judge(
    ctx,
    pr,
    withChecks,
    checks.state === 'none' ? 'No checks are configured.' : 'The checks passed.',
  );
}

/** How much of a failing check's output, and of a reviewer's summary, a progress line shows. */
const EXCERPT_LINES = 5;
const SUMMARY_CHARS = 300;

/**
 * The first lines of a failing check's output, each cut short, and where all of it is kept: the
 * terminal shows what failed without a flood. Progress lines are redacted on their way out.
 */
export function failureExcerpt(output: string, taskId: string): string {
  const lines = output
    .split('\n')
    .map((line) => printable(singleLine(line, 200)))
    .filter(Boolean);
  if (lines.length === 0) return ' (the checks printed nothing)';
  const shown = lines
    .slice(0, EXCERPT_LINES)
    .map((line) => `\n  | ${line}`)
    .join('');
  const more = lines.length > EXCERPT_LINES ? `\n  | … ${lines.length - EXCERPT_LINES} more lines` : '';
  return `:${shown}${more}\n  the output is kept in shared/runs/${taskId}.json; \`aifactory show ${taskId}\` prints it`;
}

/**
 * Pending or missing checks: the task waits for a later run, until the configured time is up.
 * Then pending checks fail the task; a head on which no check was ever seen goes to a person, who
 * merges or closes the pull request ("no checks, no automatic merge", DESIGN.md).
 */
async function waitForChecks(ctx: TaskContext, pr: PullRequest, checks: CheckReport): Promise<boolean> {
  const detail = checks.output;
  const why = detail ? `: ${detail}` : '';
  const since = ctx.record.checks_pending_since ?? ctx.now();
  const minutes = ctx.services.config.checks.pending_timeout_minutes;
  const waited = (ctx.services.now().getTime() - Date.parse(since)) / 60_000;
  const missing = checks.state === 'missing';
  if (waited > minutes && missing) return holdWithoutChecks(ctx, pr, detail, minutes);
  if (waited > minutes) {
    await ctx.fail({
      class: 'checks',
      message: `the checks of ${pr.head.slice(0, 12)} were still pending after ${plural(minutes, 'minute')}${why}; see pull request #${pr.number}, or raise checks.pending_timeout_minutes`,
    });
    return true;
  }
  return ctx.pause(
    {
      class: 'checks',
      message: missing
        ? `${detail} (waiting since ${since})`
        : `waiting for the checks of ${pr.head.slice(0, 12)} (pending since ${since})${why}`,
    },
    { checks_pending_since: since },
  );
}

/** No check came in time: the pull request is labelled and waits for a person, never merged by the factory. */
async function holdWithoutChecks(
  ctx: TaskContext,
  pr: PullRequest,
  detail: string,
  minutes: number,
): Promise<boolean> {
  await ctx.services.forge.labelPullRequest(pr, [HOLD_LABEL]);
  const reason = {
    class: 'checks' as const,
    message: `${detail}; none came within ${plural(minutes, 'minute')} (checks.pending_timeout_minutes), and the factory never merges a head without checks: a person merges or closes pull request #${pr.number}`,
  };
  ctx.say(`waiting for a person: ${reason.message}`);
  await ctx.save({
    ...transition(ctx.record, 'hold', ctx.now()),
    checks_pending_since: null,
    last_error: reason,
  });
  return true;
}

/**
 * The reviewer's verdict on the whole change, posted to the pull request and recorded. Posting and
 * recording are one resumable step: a review already posted for this head and iteration is read
 * back instead of asking the model again, so a crash between the two posts nothing twice.
 */
async function judge(
  ctx: TaskContext,
  pr: PullRequest,
  withChecks: RunRecord,
  checks: string,
): Promise<boolean> {
  const { forge, registry } = ctx.services;
  const record = ctx.record;
  const reviewer = registry.requireModel(record.reviewer ?? registry.reviewerFor(ctx.task).name);
  const at = { commit: pr.head, iteration: record.iteration };
  const started = ctx.services.now();
  const posted = await forge.findReview(pr, at);
  let verdict: Verdict;
  let answer: AgentAnswer | undefined;
  let loop: ReviewerSession | undefined;
  if (posted) {
    ctx.say(`iteration ${record.iteration}: the review of ${pr.head.slice(0, 12)} was already posted`);
    verdict = posted;
  } else {
    ctx.say(`iteration ${record.iteration}: ${reviewer.name} is reviewing`);
    // Read before the call, outside its catch: the forge failing to show the change (an outage,
    // a 5xx page) pauses the task for the next run; it is no failed model call.
    const { system, branch } = await reviewerSystem(ctx, pr, checks);
    // A loop stopped by one of its limits ends the review with that error, as no verdict does.
    let stopped: ErrorInfo | undefined;
    const progress: LoopProgress = { answers: [], calls: [] };
    try {
      if (usesTools(reviewer)) {
        loop = await reviewerSession(ctx, reviewer, system, branch, progress);
        answer = loop.answer;
        if (loop.kind === 'stopped') stopped = loop.error;
      } else answer = await askReviewer(ctx, system);
    } catch (error) {
      const before = interruptedSession(progress, (text) => ctx.services.secrets.redact(text));
      ctx.stage(withChecks);
      return ctx.callFailed('review', reviewer, started, toErrorInfo(error), before);
    }
    // The text is read again, strictly: a key given twice is not a verdict, whatever the
    // provider's JSON parser made of it.
    const parsed = parseVerdict(answer.text);
    if (stopped || !parsed.ok) {
      const error = stopped ?? {
        class: 'bad_output' as const,
        message: `the reviewer answered without a valid verdict: ${parsed.ok ? '' : parsed.reason}`,
      };
      const base = {
        ...ctx.attempt('review', started, { agent: reviewer, answer }),
        ...(loop ? { session: loop.session } : {}),
      };
      ctx.stage(withChecks);
      await ctx.fail(error, ctx.withAttempt({ ...base, result: 'error', error }));
      return true;
    }
    verdict = parsed.verdict;
    await forge.addReview(pr, { ...verdict, agent: reviewer.name, ...at });
  }
  const approved = verdict.verdict === 'approve';
  if (!approved)
    ctx.say(`${reviewer.name} requests changes: ${printable(singleLine(verdict.summary, SUMMARY_CHARS))}`);
  ctx.stage(withChecks);
  const reviewed = ctx.withAttempt({
    ...ctx.attempt('review', started, { agent: reviewer, ...(answer ? { answer } : {}) }),
    ...(loop ? { session: loop.session } : {}),
    result: approved ? 'approved' : 'changes_requested',
    commit: pr.head,
    summary: verdict.summary,
    comments: verdict.comments,
  });
  await ctx.save(transition(reviewed, approved ? 'approve' : 'request_changes', ctx.now()));
  return true;
}

/**
 * The reviewer's prompt: the task, and the whole change as the forge shows it; and that change as
 * branch files, for the working copy of a reviewer with tools.
 */
async function reviewerSystem(
  ctx: TaskContext,
  pr: PullRequest,
  checks: string,
): Promise<{ system: string; branch: BranchFiles }> {
  const { forge, registry, prompts } = ctx.services;
  const record = ctx.record;
  const reviewer = registry.requireModel(record.reviewer ?? registry.reviewerFor(ctx.task).name);
  // The whole change of the branch, every iteration's files and deletions included: a file
  // written once and left alone afterwards is still under review.
  const changed = await forge.changedFiles(pr);
  const present = changed.filter((file) => file.status !== 'deleted').map((file) => file.path);
  const existed = changed.filter((file) => file.status !== 'added').map((file) => file.path);
  const files = await ctx.readFiles(present, pr.head);
  const system = await reviewerPrompt(prompts, {
    agent: reviewer,
    task: ctx.task,
    record,
    files,
    deleted: changed.filter((file) => file.status === 'deleted').map((file) => file.path),
    before: await ctx.readFiles(existed),
    checks,
  });
  return { system, branch: branchFilesOf(changed, files) };
}

async function askReviewer(ctx: TaskContext, system: string): Promise<AgentAnswer> {
  const { registry, signal } = ctx.services;
  const record = ctx.record;
  const reviewer = registry.requireModel(record.reviewer ?? registry.reviewerFor(ctx.task).name);
  return ctx.services.callAgent(reviewer, {
    system,
    messages: [{ role: 'user', content: `Review the pull request for task ${record.task_id} now.` }],
    schema: { name: 'verdict', zod: VerdictSchema },
    context: { taskId: record.task_id, agent: reviewer.name, role: 'reviewer', iteration: record.iteration },
    ...(signal ? { signal } : {}),
  });
}
