// One replayed task of an eval: a scratch clone at the base, the run's own code step, checks and hidden tests.
/**
 * One replayed task: a scratch clone at the accepted change's base, the task handed to the agent
 * through the run's own code step, and the candidate judged by its checks and the hidden tests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentRegistry } from '../../agents/registry.ts';
import type { Config } from '../../core/config.ts';
import { type ErrorInfo, FactoryError, toErrorInfo } from '../../core/errors.ts';
import type { CheckOutcome, EvalCase } from '../../core/record/eval-record.ts';
import { branchFor, newRunRecord } from '../../core/record/record-ops.ts';
import type { RunRecord } from '../../core/record/run-record.ts';
import type { Task } from '../../core/task/task.ts';
import { createLocalForge } from '../../forge/local/forge.ts';
import { git } from '../../forge/local/git.ts';
import type { CheckSandbox } from '../../forge/sandbox.ts';
import type { CheckReport, Forge, PullRequest } from '../../forge/types.ts';
import { agentChecks } from '../agent-loop/checks.ts';
import { redactingForge } from '../guard/redacting-forge.ts';
import type { SecretGuard } from '../guard/secret-guard.ts';
import type { PromptLibrary } from '../prompts.ts';
import { TaskContext } from '../run/task-context.ts';
import { agentEmail, code, startIteration } from '../steps/code.ts';
import { RunStore } from '../store/run-store.ts';
import type { AgentAnswer, CallAgent, EngineServices, ProgressSink } from '../types.ts';
import { type AcceptedChange, diffLinesBetween, readAcceptedChange } from './accepted-change.ts';

/** What every case of an eval run shares. */
export interface EvalCaseServices {
  /** The repository being evaluated; it is read, never written. */
  root: string;
  config: Config;
  /** The registry with the evaluated agent as the run sees it (`--model` applied). */
  registry: AgentRegistry;
  /** Calls through the eval ledger, under `caps.eval_daily_usd`. */
  callAgent: CallAgent;
  prompts: PromptLibrary;
  progress: ProgressSink;
  secrets: SecretGuard;
  sandbox: CheckSandbox;
  now: () => Date;
  signal?: AbortSignal;
}

/**
 * How a case ended: a case to record, or a stop that records nothing, so a resumed run asks
 * again: the eval cap was reached, the set-up refused (a missing key, checks that cannot be
 * isolated), or the run was interrupted.
 */
export type CaseOutcome =
  | { kind: 'case'; case: EvalCase }
  | { kind: 'cap'; error: ErrorInfo }
  | { kind: 'setup'; error: ErrorInfo }
  | { kind: 'interrupted' };

/**
 * Replays `task` (assigned to the evaluated agent), merged as `mergeCommit`, and judges the
 * candidate. A task without a valid task file now is a case in error, naming the file.
 */
export async function runEvalCase(
  services: EvalCaseServices,
  input: { taskId: string; task: Task | undefined; mergeCommit: string },
): Promise<CaseOutcome> {
  const { taskId, task, mergeCommit } = input;
  const started = services.now();
  const spend = { input: 0, output: 0, usd: 0 };
  const finish = (
    fields: Omit<EvalCase, 'tokens' | 'cost_usd' | 'duration_ms' | 'finished_at'>,
  ): CaseOutcome => {
    const at = services.now();
    return {
      kind: 'case',
      case: {
        ...fields,
        tokens: { input: spend.input, output: spend.output },
        cost_usd: Math.round(spend.usd * 1e6) / 1e6,
        duration_ms: Math.max(0, at.getTime() - started.getTime()),
        finished_at: at.toISOString(),
      },
    };
  };
  let accepted: AcceptedChange;
  try {
    accepted = await readAcceptedChange(services.root, mergeCommit);
  } catch (error) {
    return finish(unjudged(taskId, { base: mergeCommit, merge: mergeCommit }, 'error', toErrorInfo(error)));
  }
  if (!task) return finish(unjudged(taskId, accepted, 'error', missingTaskError(taskId).toInfo()));
  const counted: CallAgent = async (agent, request) => {
    const answer: AgentAnswer = await services.callAgent(agent, request);
    spend.input += answer.usage.inputTokens;
    spend.output += answer.usage.outputTokens;
    spend.usd += answer.costUsd;
    return answer;
  };
  const scratch = await mkdtemp(join(tmpdir(), 'aifactory-eval-'));
  let forge: Forge | undefined;
  try {
    const repo = await cloneAtBase(services.root, scratch, accepted.base, services.config.default_branch);
    forge = await openScratchForge(services, repo);
    const record = await proposeInScratch(services, { task, repo, scratch, forge, callAgent: counted });
    const stop = stopOf(record, services.signal);
    if (stop) return stop;
    const candidate = record.state === 'proposed' ? proposedCommit(record) : undefined;
    if (!candidate) {
      const error = record.last_error ?? { class: 'bad_output' as const, message: `ended ${record.state}` };
      const status = record.state === 'failed' && !NO_ANSWER.has(error.class) ? 'error' : 'no_answer';
      return finish(unjudged(task.task_id, accepted, status, error));
    }
    const pr = await forge.findPullRequest(branchFor(task.task_id));
    const judged = await judge(forge, pr!, candidate, accepted, task);
    return finish({
      task_id: task.task_id,
      base_sha: accepted.base,
      accepted_sha: accepted.merge,
      status: 'done',
      ...judged,
      hidden_test_files: accepted.hiddenTests.map((file) => file.path),
      diff_lines: await diffLinesBetween(repo, accepted.base, candidate),
      accepted_diff_lines: accepted.diffLines,
    });
  } catch (error) {
    const info = toErrorInfo(error);
    if (services.signal?.aborted) return { kind: 'interrupted' };
    if (info.class === 'budget') return { kind: 'cap', error: info };
    if (info.class === 'auth') return { kind: 'setup', error: info };
    return finish(unjudged(task.task_id, accepted, 'error', info));
  } finally {
    forge?.close?.();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Error classes that mean the agent gave no usable answer, rather than that something broke. */
const NO_ANSWER: ReadonlySet<string> = new Set(['bad_output', 'protocol', 'checks']);

/** A case with nothing judged: no candidate, or no accepted change to judge it by. */
function unjudged(
  taskId: string,
  accepted: { base: string; merge: string; diffLines?: number },
  status: 'no_answer' | 'error',
  error: ErrorInfo,
): Omit<EvalCase, 'tokens' | 'cost_usd' | 'duration_ms' | 'finished_at'> {
  return {
    task_id: taskId,
    base_sha: accepted.base,
    accepted_sha: accepted.merge,
    status,
    own_checks: 'none',
    hidden_tests: 'none',
    hidden_test_files: [],
    diff_lines: 0,
    accepted_diff_lines: accepted.diffLines ?? 0,
    error: { class: error.class, message: error.message.slice(0, 2000) },
  };
}

/**
 * A clone of `root` whose default branch (its own, not the repository's) and working tree sit
 * at `base`, with no remote: nothing made in it can reach the repository, by push or otherwise.
 */
async function cloneAtBase(root: string, scratch: string, base: string, branch: string): Promise<string> {
  const repo = join(scratch, 'repo');
  await git(scratch, ['clone', '--quiet', '--no-checkout', '--no-tags', root, repo]);
  await git(repo, ['remote', 'remove', 'origin']);
  await git(repo, ['checkout', '--quiet', '-B', branch, base]);
  return repo;
}

function openScratchForge(services: EvalCaseServices, repo: string): Promise<Forge> {
  const { checks, default_branch } = services.config;
  return createLocalForge({
    root: repo,
    defaultBranch: default_branch,
    checks: {
      ...(checks.command ? { command: checks.command } : {}),
      timeoutSeconds: checks.timeout_seconds,
      sandbox: services.sandbox,
    },
  }).then((forge) => redactingForge(forge, services.secrets));
}

/**
 * The first iteration of the task in the scratch clone, through the run's own steps: the
 * prompts, the agent loop and its tools where the agent has them, the protocol's vetting, the
 * budget ledger; a proposal that passes is committed on the task's branch of the clone. Returns
 * the record the steps left (kept in the scratch folder, never in the repository).
 */
async function proposeInScratch(
  services: EvalCaseServices,
  input: { task: Task; repo: string; scratch: string; forge: Forge; callAgent: CallAgent },
): Promise<RunRecord> {
  const { config } = services;
  const engine: EngineServices = {
    root: input.repo,
    config,
    registry: services.registry,
    forge: input.forge,
    callAgent: input.callAgent,
    store: new RunStore(join(input.scratch, 'state'), { redactor: services.secrets }),
    prompts: services.prompts,
    progress: services.progress,
    secrets: services.secrets,
    now: services.now,
    ...(config.checks.command
      ? {
          agentChecks: agentChecks({
            root: input.repo,
            command: config.checks.command,
            timeoutMs: config.checks.timeout_seconds * 1000,
            sandbox: services.sandbox,
          }),
        }
      : {}),
    ...(services.signal ? { signal: services.signal } : {}),
  };
  const record = newRunRecord(input.task, input.task.assignee, services.now().toISOString());
  const ctx = new TaskContext(input.task, { ...record, max_iterations: 1 }, engine);
  await startIteration(ctx);
  await code(ctx);
  return ctx.record;
}

/** The stop a record left by the code step means, if any: a budget pause, a refused key, a stopping run. */
function stopOf(record: RunRecord, signal: AbortSignal | undefined): CaseOutcome | undefined {
  if (signal?.aborted) return { kind: 'interrupted' };
  if (record.state !== 'running') return undefined;
  const error = record.last_error ?? { class: 'internal' as const, message: 'the code step did not finish' };
  return { kind: error.class === 'budget' ? 'cap' : 'setup', error };
}

function proposedCommit(record: RunRecord): string | undefined {
  return record.attempts.findLast((attempt) => attempt.kind === 'code' && attempt.result === 'proposed')
    ?.commit;
}

const OUTCOME: Record<CheckReport['state'], CheckOutcome> = {
  passed: 'pass',
  failed: 'fail',
  none: 'none',
  pending: 'error',
  missing: 'error',
};

/**
 * The candidate's own checks, then the accepted change's tests written over the candidate (a
 * commit on top of it in the clone) and the checks again. No checks command, or no test in the
 * accepted change: `none`.
 */
async function judge(
  forge: Forge,
  pr: PullRequest,
  candidate: string,
  accepted: AcceptedChange,
  task: Task,
): Promise<{ own_checks: CheckOutcome; hidden_tests: CheckOutcome }> {
  const own = OUTCOME[(await forge.readChecks({ ...pr, head: candidate })).state];
  if (own === 'none' || accepted.hiddenTests.length === 0) return { own_checks: own, hidden_tests: 'none' };
  const withTests = await forge.pushIteration({
    branch: pr.branch,
    changes: accepted.hiddenTests,
    message: `Hidden tests of ${task.task_id}`,
    author: { name: 'eval', email: agentEmail('eval') },
    trailers: { 'Task-Id': task.task_id },
  });
  // Tests that change nothing over the candidate leave its head as it is: the same checks again.
  const hidden =
    withTests === candidate ? own : OUTCOME[(await forge.readChecks({ ...pr, head: withTests })).state];
  return { own_checks: own, hidden_tests: hidden };
}

/** The error of a case that cannot start: the task has no valid task file now. */
function missingTaskError(taskId: string): FactoryError {
  return new FactoryError(
    'config',
    `${taskId}: no valid task file tasks/${taskId}.json; \`aifactory validate\` says why`,
  );
}
