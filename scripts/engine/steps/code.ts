// The code step: an iteration opened, the coder's edits vetted, committed and put up as a pull request.
import { type Agent, TOOL_ANSWERER, usesTools } from '../../agents/types.ts';
import { type ErrorInfo, pausesTask, toErrorInfo } from '../../core/errors.ts';
import { parseProposal } from '../../core/protocol/proposal.ts';
import {
  type AttemptInput,
  branchFor,
  buildsOnBranch,
  iterationsUsed,
  lastAttempt,
  restartsBranch,
  transition,
} from '../../core/record/record-ops.ts';
import type { RunRecord } from '../../core/record/run-record.ts';
import { singleLine } from '../../core/security/sanitize.ts';
import type { FileChange, PullRequest } from '../../forge/types.ts';
import { listed, plural } from '../../ui/words.ts';
import { coderBranchFiles, taskRepoMap } from '../agent-loop/coder-context.ts';
import { type CoderSession, coderSession, interruptedSession } from '../agent-loop/coder-session.ts';
import type { LoopOutcome, LoopProgress } from '../agent-loop/loop.ts';
import { coderPrompt, feedbackFor } from '../prompts.ts';
import type { TaskContext } from '../run/task-context.ts';
import { taskIdsOnDisk, validationContextOf } from '../store/task-files.ts';
import { TOOL_SCHEMAS } from '../tools/tool-table.ts';
import { vetEdits } from '../tools/write-tools.ts';
import type { AgentAnswer } from '../types.ts';
import { fencedChanges, type ReadFiles } from './fenced-answer.ts';
import { personDecided } from './person.ts';

/** The e-mail an agent commits with; never a real address. */
export function agentEmail(agent: string): string {
  return `${agent}@agents.aifactory.invalid`;
}

/**
 * Opens the next iteration, or fails the task when it has had all of them; a pull request a
 * person merged, closed or took the branch of meanwhile ends the task first.
 */
export async function startIteration(ctx: TaskContext): Promise<void> {
  const record = ctx.record;
  // A pull request the factory closed itself (the task ended, then a person retried it) is no
  // person's decision: it opens again with the next commit.
  if (record.state === 'changes_requested' && record.pull_request && !record.pull_request.closed) {
    const pr = await ctx.services.forge.findPullRequest(branchFor(record.task_id));
    if (pr && (await personDecided(ctx, pr))) return;
  }
  if (record.state === 'changes_requested' && iterationsUsed(record) >= record.max_iterations) {
    const last = lastAttempt(record, 'code', record.iteration)?.error;
    await ctx.fail({
      class: last?.class ?? 'checks',
      message: `not approved with green checks after ${plural(record.max_iterations, 'iteration')}${last ? ` (the last: ${last.message})` : ''}; raise max_iterations or refine the task`,
    });
    return;
  }
  await ctx.save({
    ...transition(record, 'start', ctx.now()),
    iteration: record.iteration + 1,
    branch: branchFor(record.task_id),
    last_error: null,
    rejection: null,
    checks_pending_since: null,
  });
}

/** The coder writes a proposal; it is vetted, committed and put up as a pull request. */
export async function code(ctx: TaskContext): Promise<boolean> {
  const { forge, registry, config, secrets } = ctx.services;
  const { task } = ctx;
  const agent = registry.require(ctx.record.assignee);
  const started = ctx.services.now();
  ctx.say(`iteration ${ctx.record.iteration}: ${agent.name} is writing`);
  const onBranch = buildsOnBranch(ctx.record);
  const files = await ctx.readFiles(task.files, onBranch ? (ctx.record.branch ?? undefined) : undefined);
  const tools = agent.role !== 'tool' && usesTools(agent);
  // Read like the files above, before the model call: a forge that cannot answer pauses the task.
  const branch = tools ? await coderBranchFiles(ctx) : undefined;
  // An agent that runs a program of its own (a tool agent) is given no prompt to carry a map.
  const repoMap = agent.role === 'tool' ? '' : await taskRepoMap(ctx, branch);
  let answer: AgentAnswer;
  let loop: CoderSession | undefined;
  const progress: LoopProgress = { answers: [], calls: [] };
  try {
    if (agent.role !== 'tool' && tools) {
      loop = await coderSession(ctx, agent, { files, branch, repoMap }, progress);
      answer = loop.answer;
    } else answer = await askCoder(ctx, agent, files, repoMap);
  } catch (error) {
    const before = interruptedSession(progress, (text) => secrets.redact(text));
    return ctx.callFailed('code', agent, started, toErrorInfo(error), before);
  }
  // Every attempt of a loop keeps its session, whatever became of its edits.
  const base = {
    ...ctx.attempt('code', started, { agent, answer }),
    ...(loop ? { session: loop.session } : {}),
  };
  if (loop && loop.calls.length > 0) ctx.say(toolsUsed(loop, task.task_id));
  const edits = await editsOf(loop, answer, (paths) =>
    ctx.readFiles(paths, onBranch ? (ctx.record.branch ?? undefined) : undefined),
  );
  if ('error' in edits) {
    // A loop stopped by one of its limits ends the task's attempt with that error; an answer that
    // holds nothing usable goes back to the coder, like failed checks.
    if (loop?.kind === 'stopped') {
      ctx.say(edits.error.message);
      await ctx.fail(edits.error, ctx.withAttempt({ ...base, result: 'error', error: edits.error }));
      return true;
    }
    return sendBack(ctx, base, edits.error.message);
  }
  const { changes, deletions, lossy } = edits;
  const paths = [...changes.map((change) => change.path), ...deletions];
  const rejection = await vetEdits(
    { changes, deletions },
    {
      task,
      agent,
      protocol: config.protocol,
      plugins: config.plugins,
      forge,
      secrets,
      tasks: {
        context: validationContextOf(config, registry),
        existingIds: await taskIdsOnDisk(ctx.services.root),
      },
    },
  );
  if (rejection) {
    ctx.say(`proposal rejected: ${rejection.message}`);
    await ctx.save({
      ...transition(
        ctx.withAttempt({ ...base, result: 'rejected', files: paths, rejection }),
        'reject',
        ctx.now(),
      ),
      rejection,
      last_error: { class: 'protocol', message: `${rejection.path ?? ''}: ${rejection.message}` },
    });
    return true;
  }
  if (lossy !== undefined) return sendBack(ctx, base, `the answer was not applied: ${lossy}`);
  // A deletion always changes something; only written files can all match what is there. The
  // comparison is with the last head this record knows, not the branch: a run killed after its
  // push but before its record leaves a head whose resumed answer is the same, and that push is
  // simply found done.
  const unchanged =
    deletions.length === 0 &&
    (await changesNothing(ctx, changes, onBranch ? lastProposedCommit(ctx.record) : undefined));
  if (unchanged) {
    return sendBack(
      ctx,
      { ...base, files: paths },
      `the answer changes nothing: ${unchanged} already hold${paths.length === 1 ? 's' : ''} exactly that content`,
    );
  }
  try {
    const summary = loop?.kind === 'finished' ? loop.finished.summary : undefined;
    const pr = await publish(ctx, agent, answer, { changes, deletions, summary });
    const attempt = ctx.withAttempt({ ...base, result: 'proposed', files: paths, commit: pr.head });
    await ctx.save({
      ...transition(attempt, 'propose', ctx.now()),
      pull_request: { number: pr.number, url: pr.url },
    });
  } catch (error) {
    // An outage or a missing permission is no verdict on the proposal: the task pauses here.
    if (pausesTask(error)) throw error;
    const info = toErrorInfo(error);
    await ctx.fail(info, ctx.withAttempt({ ...base, result: 'error', files: paths, error: info }));
  }
  return true;
}

/**
 * A progress line on what a tool loop did, and where its log is. Only the contract's tool names
 * are named: a model may call a tool by any name, and this line reaches the terminal.
 */
export function toolsUsed(loop: CoderSession, taskId: string): string {
  const names = [...new Set(loop.calls.map((call) => call.name))].filter((name) =>
    Object.hasOwn(TOOL_SCHEMAS, name),
  );
  const named = names.length > 0 ? ` (${names.join(', ')})` : '';
  return `${plural(loop.calls.length, 'tool call')} in ${plural(loop.turns, 'turn')}${named}; \`aifactory show ${taskId}\` prints them`;
}

/** The head of the last iteration this record saw proposed, if any. */
function lastProposedCommit(record: RunRecord): string | undefined {
  return record.attempts.findLast((a) => a.kind === 'code' && a.result === 'proposed' && a.commit)?.commit;
}

/** How much of why an answer was not used is kept and told to the coder. */
const SEND_BACK_CHARS = 500;

/**
 * Ends the iteration without a proposal, like failed checks: the coder is told `message` in the
 * next iteration, which counts against max_iterations. Nothing is committed.
 */
async function sendBack(ctx: TaskContext, base: AttemptInput, reason: string): Promise<boolean> {
  // Bounded: the reason may quote the model's own text.
  const message = singleLine(reason, SEND_BACK_CHARS);
  const error = { class: 'bad_output' as const, message };
  ctx.say(`${message}; back to the coder`);
  await ctx.save(
    transition(ctx.withAttempt({ ...base, result: 'error', error }), 'request_changes', ctx.now()),
  );
  return true;
}

/**
 * The files the proposal writes, named, when each already holds that content where the
 * iteration starts from (`ref`, or the default branch): such a commit would change nothing.
 * Undefined when anything changes.
 */
async function changesNothing(
  ctx: TaskContext,
  changes: readonly FileChange[],
  ref: string | undefined,
): Promise<string | undefined> {
  const current = await ctx.readFiles(
    changes.map((change) => change.path),
    ref,
  );
  if (changes.some((change) => current.get(change.path) !== change.content)) return undefined;
  return listed(changes.map((change) => change.path));
}

/**
 * What an iteration hands to the forge: the loop's edits at `finish`, or the files of a whole-file
 * answer (one answer, or a loop turn of fenced blocks), its search/replace blocks applied to the
 * files as `read` finds them. An answer cut by the output limit is never applied, and a loop stopped
 * by a limit drops its edits whole. `lossy` names a whole file that would lose part of the file it
 * replaces: after the vetting, that answer goes back to the coder.
 */
async function editsOf(
  loop: LoopOutcome | undefined,
  answer: AgentAnswer,
  read: ReadFiles,
): Promise<{ changes: FileChange[]; deletions: string[]; lossy?: string } | { error: ErrorInfo }> {
  if (loop?.kind === 'stopped') return { error: loop.error };
  if (loop?.kind === 'finished') {
    const { changes, deletions } = loop.finished.edits;
    if (changes.length + deletions.length > 0) return { changes, deletions };
    return { error: { class: 'bad_output', message: 'the agent called finish without any edit' } };
  }
  if (answer.finishReason === 'length') {
    return {
      error: {
        class: 'bad_output',
        message:
          'the answer was cut by the output limit (finish reason "length"), so none of it was applied; raise max_output_tokens.coder or split the task',
      },
    };
  }
  const proposal = parseProposal(loop?.kind === 'proposal' ? loop.text : answer.text);
  if (!proposal.ok) {
    return {
      error: { class: 'bad_output', message: `the answer holds no usable proposal: ${proposal.reason}` },
    };
  }
  const fenced = await fencedChanges(proposal, read);
  if ('error' in fenced) {
    return { error: { class: 'bad_output', message: `the answer was not applied: ${fenced.error}` } };
  }
  return { ...fenced, deletions: [] };
}

async function askCoder(
  ctx: TaskContext,
  agent: Agent,
  files: ReadonlyMap<string, string | undefined>,
  repoMap: string,
): Promise<AgentAnswer> {
  const { task, record, services } = ctx;
  if (agent.role === 'tool') {
    const started = services.now().getTime();
    // Redacted like a prompt: check output and review comments may hold one of the run's secrets.
    const previous = feedbackFor(record, services.prompts.redact);
    const output = await agent.run({
      task,
      root: services.root,
      files: Object.fromEntries(files),
      iteration: record.iteration,
      ...(record.iteration > 1 ? { feedback: previous } : {}),
    });
    return {
      text: output.text,
      usage: { inputTokens: 0, outputTokens: 0 },
      ...TOOL_ANSWERER,
      finishReason: 'stop',
      latencyMs: services.now().getTime() - started,
      costUsd: 0,
    };
  }
  const prompt = await coderPrompt(services.prompts, {
    agent,
    task,
    record,
    files,
    protocol: services.config.protocol,
    repoMap,
  });
  if (prompt.flagged) ctx.say(prompt.flagged);
  return services.callAgent(agent, {
    system: prompt.system,
    messages: [{ role: 'user', content: `Write your proposal for task ${task.task_id} now.` }],
    // Proposals are long: streaming keeps the connection busy while the model writes.
    stream: true,
    context: { taskId: task.task_id, agent: agent.name, role: 'coder', iteration: record.iteration },
    ...(services.signal ? { signal: services.signal } : {}),
  });
}

/** Commits the iteration on the task's branch and opens (or finds) its one pull request. */
async function publish(
  ctx: TaskContext,
  agent: Agent,
  answer: AgentAnswer,
  edits: { changes: FileChange[]; deletions: string[]; summary: string | undefined },
): Promise<PullRequest> {
  const { forge } = ctx.services;
  const record = ctx.record;
  const branch = branchFor(record.task_id);
  // Titles reach commit messages: one line, so no text can forge a trailer.
  const title = singleLine(record.title ?? record.task_id);
  await forge.pushIteration({
    branch,
    changes: edits.changes,
    ...(edits.deletions.length > 0 ? { deletions: edits.deletions } : {}),
    message: `${title} (iteration ${record.iteration})`,
    author: { name: agent.name, email: agentEmail(agent.name) },
    trailers: {
      'Task-Id': record.task_id,
      Agent: agent.name,
      Model: `${answer.provider}/${answer.model}`,
      Iteration: String(record.iteration),
    },
    ...(restartsBranch(record) ? { restart: true } : {}),
  });
  const existing = await forge.findPullRequest(branch);
  if (existing && existing.state === 'open') return existing;
  return forge.openPullRequest({
    branch,
    title: `[${record.task_id}] ${title}`,
    body: `Task \`${record.task_id}\`, written by ${agent.name}; reviewer: ${record.reviewer ?? 'default'}.\n\n${ctx.task.description}${edits.summary ? `\n\n## What ${agent.name} did\n\n${edits.summary}` : ''}`,
  });
}
