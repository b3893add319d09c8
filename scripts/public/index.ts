// The `aifactory-os` entry: the plugin and config API, the only module users import.
//
// Plugins, configs, examples and docs import from `aifactory-os`, never from a path under
// `scripts/`, so the factory's files can move without breaking a user's repository. Everything
// exported here is a promise: add with care, never remove or rename without a major version.

import type { RunRecord } from '../core/record/run-record.ts';
import { RunStore } from '../engine/store/run-store.ts';

export type {
  /** What `defineAgent` accepts: a name and a role, the rest has defaults. */
  AgentDefinition,
} from '../agents/define-agent.ts';
export {
  /** Declares an agent (a plugin's default export); checked with zod when the module loads. */
  defineAgent,
} from '../agents/define-agent.ts';
export type {
  /** An agent as the factory runs it: a `ModelAgent` or a `ToolAgent` (narrow on `role === 'tool'`). */
  Agent,
  /** What an agent may propose beyond the allowed folders (never merged without a person). */
  AgentPermissions,
  /** `coder`, `reviewer`, `planner` or `tool`. */
  AgentRole,
  /** An agent a model answers for: provider, model, fallbacks, prompt. */
  ModelAgent,
  /** A `tool` agent: its `run` answers in the proposal format instead of a model. */
  ToolAgent,
  /** What a `tool` agent's `run` receives: the task, its files, the root, the iteration, feedback. */
  ToolInput,
  /** What a `tool` agent's `run` answers: text in the proposal format. */
  ToolOutput,
} from '../agents/types.ts';
export {
  /** The classes an error can carry; the engine decides from the class, never from the message. */
  type ErrorClass,
  /** An error with a class: throw it from a plugin to say what went wrong and what to do. */
  FactoryError,
} from '../core/errors.ts';
export {
  /** Part of one existing file changed by SEARCH/REPLACE sections, for a large file. */
  type ProposedEdit,
  /** One file of a proposal: its path, its whole new content and its language. */
  type ProposedFile,
  /** Writes files in the proposal format, with a fence longer than any inside the content. */
  renderProposal,
} from '../core/protocol/proposal.ts';
export type {
  /** One attempt of a task: who wrote or reviewed it, with which model, at what cost. */
  Attempt,
  /** A task's run record (`shared/runs/<task_id>.json`): its state, attempts and pull request. */
  RunRecord,
} from '../core/record/run-record.ts';
export {
  /** A task file after validation, defaults filled in. */
  type Task,
  /** The task file's zod schema: parse a task a plugin writes before proposing it. */
  TaskSchema,
} from '../core/task/task.ts';
export * from './config.ts';

/**
 * The run records under `shared/runs/` of the repository at `root`, in task id order. Each file is
 * validated as it is read; a damaged one is left out (the factory's own commands report it), so a
 * plugin never acts on a record the factory would not trust.
 */
export async function readRunRecords(root: string): Promise<RunRecord[]> {
  const { records } = await new RunStore(root).readAll();
  return [...records.values()];
}
