// The engine's shared types: an agent's answer, the agent call, the progress sink and the services of a run.
import type { AgentAnswer, AgentRequest } from '../agents/invoke.ts';
import type { AgentRegistry } from '../agents/registry.ts';
import type { ModelAgent } from '../agents/types.ts';
import type { Config } from '../core/config.ts';
import type { RunRecord } from '../core/record/run-record.ts';
import type { Forge } from '../forge/types.ts';
import type { SecretGuard } from './guard/secret-guard.ts';
import type { PromptLibrary } from './prompts.ts';
import type { RunStore } from './store/run-store.ts';
import type { ChecksRunner } from './tools/run-checks.ts';

export type { AgentAnswer };

/** Calls a model agent (with its fallbacks and the budget check); throws a FactoryError on failure. */
export type CallAgent = (agent: ModelAgent, request: AgentRequest) => Promise<AgentAnswer>;

/** What a task step reports to the terminal. */
export interface ProgressSink {
  step(taskId: string, message: string): void;
  done(record: RunRecord): void;
  /** A problem with the run as a whole (e.g. a missing key), shown before tasks start. */
  warn?(message: string): void;
}

/** Everything the engine needs, passed in so tests can swap any part. */
export interface EngineServices {
  root: string;
  config: Config;
  registry: AgentRegistry;
  forge: Forge;
  callAgent: CallAgent;
  store: RunStore;
  prompts: PromptLibrary;
  progress: ProgressSink;
  /** The run's secrets: proposals holding one are refused; the store, prompts and progress redact them. */
  secrets: SecretGuard;
  now: () => Date;
  /**
   * The agent's `run_checks`: `checks.command` on its edits, in the checks sandbox. Absent when no
   * command is configured; the tool then says checks are not available.
   */
  agentChecks?: ChecksRunner;
  /** When aborted, tasks stop at the next step boundary (their state is saved). */
  signal?: AbortSignal;
}
