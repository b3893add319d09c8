/** A coder's iteration through the agent loop: the working copy, the toolbox under the task's rules, the prompt, the loop. */
import type { ModelAgent } from '../../agents/types.ts';
import { type Session, sessionOf } from '../../core/record/session-log.ts';
import { proposalPolicy } from '../guard/vet.ts';
import { coderPrompt } from '../prompts.ts';
import type { TaskContext } from '../run/task-context.ts';
import { createToolbox } from '../tools/tool-table.ts';
import { type BranchFiles, WorkingCopy } from '../tools/working-copy.ts';
import type { AgentAnswer } from '../types.ts';
import { answerTokens, type LoopOutcome, type LoopProgress, runAgentLoop, total } from './loop.ts';

/** A coder's loop, with the session the run record keeps of it. */
export type CoderSession = LoopOutcome & { session: Session };

const SESSION_END: Record<LoopOutcome['kind'], Session['ended']> = {
  finished: 'finish',
  proposal: 'proposal',
  stopped: 'stopped',
};

/**
 * Runs one iteration of `agent` on the task as a tool loop over the repository's working tree
 * (`services.root`) with the task branch's change over it (`branch`, from the second iteration
 * on): reads see what git shows there and what the branch holds, writes go to memory and are checked against
 * the task's rules as they are made, and `run_checks` runs in the checks sandbox when the run
 * has one. The recorded calls and the session are redacted with the run's secrets.
 *
 * @throws FactoryError from a model call (`budget`, `auth`, `timeout`, …), as one agent call does;
 *   `progress` then holds what the loop did before it (see `interruptedSession`).
 */
export async function coderSession(
  ctx: TaskContext,
  agent: ModelAgent,
  start: {
    /** The files the task names, as the iteration starts from them. */
    files: ReadonlyMap<string, string | undefined>;
    /** The task branch's change, from the second iteration on. */
    branch?: BranchFiles | undefined;
    /** The rendered repository map of the first prompt. */
    repoMap?: string;
  },
  progress: LoopProgress = { answers: [], calls: [] },
): Promise<CoderSession> {
  const { services, task, record } = ctx;
  const { files, branch, repoMap } = start;
  const { config, secrets } = services;
  const copy = await WorkingCopy.open(services.root, branch ? { branch } : {});
  const toolbox = createToolbox({
    copy,
    rules: {
      policy: proposalPolicy({ task, agent, protocol: config.protocol, plugins: config.plugins }),
      secrets,
    },
    ...(services.agentChecks ? { runChecks: services.agentChecks } : {}),
    limits: { resultBytes: config.agent_loop.result_bytes },
  });
  const prompt = await coderPrompt(services.prompts, {
    agent,
    task,
    record,
    files,
    protocol: config.protocol,
    tools: true,
    ...(repoMap ? { repoMap } : {}),
  });
  if (prompt.flagged) ctx.say(prompt.flagged);
  const outcome = await runAgentLoop({
    call: (request) => services.callAgent(agent, request),
    toolbox,
    system: prompt.system,
    opening: `Work on task ${task.task_id} now, with the tools; call finish when the change is complete.`,
    context: { taskId: task.task_id, agent: agent.name, role: 'coder', iteration: record.iteration },
    limits: config.agent_loop,
    progress,
    ...(services.signal ? { signal: services.signal } : {}),
  });
  const redact = (text: string) => secrets.redact(text);
  return {
    ...outcome,
    calls: outcome.calls.map((call) => ({ ...call, args: redact(call.args) })),
    session: sessionOf({ ...outcome, ended: SESSION_END[outcome.kind] }, redact),
  };
}

/**
 * What a loop that a model call ended (a budget cap reached mid-loop, an outage) did before it:
 * the spend of its answers, and its session. Nothing when no answer came.
 */
export function interruptedSession(
  progress: LoopProgress,
  redact: (text: string) => string,
): { answer: AgentAnswer; session: Session } | undefined {
  if (progress.answers.length === 0) return undefined;
  const session = sessionOf(
    { turnTokens: answerTokens(progress.answers), calls: progress.calls, ended: 'stopped' },
    redact,
  );
  return { answer: total(progress.answers), session };
}
