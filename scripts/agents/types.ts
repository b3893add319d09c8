// What an agent is: role, permissions, model and prompt, a tool agent's input and output, a provider's vendor.
import type { AgentRole, Caps, ModelRef, ModelRole, ProviderId } from '../core/config.ts';
import type { Task } from '../core/task/task.ts';

export type { AgentRole, ModelRole };

/**
 * What an agent may do beyond writing inside the allowed folders. Every grant here is a grant to
 * propose: a pull request that touches the control plane is never merged by the factory.
 */
export interface AgentPermissions {
  /** May propose changes under `.github/` (workflows can leak secrets, so this is granted by name). */
  github: boolean;
  /** Other control-plane areas the agent may propose changes to (`tasks`, `prompts`, `root`, …). */
  controlPlane: readonly string[];
}

/** The control-plane areas an agent may propose changes to. */
export function grantedAreas(permissions: AgentPermissions): string[] {
  return [...new Set([...permissions.controlPlane, ...(permissions.github ? ['.github'] : [])])].sort();
}

/** What a `tool` agent receives: the task and the current content of its declared files. */
export interface ToolInput {
  task: Task;
  /** The repository's working tree (where the factory runs), for tools that read more than the task's files. */
  root: string;
  files: Readonly<Record<string, string | undefined>>;
  iteration: number;
  /** Review comments and failing check output from the previous iteration, if any. */
  feedback?: string;
}

/** A `tool` agent answers like a model does: text in the proposal format. */
export interface ToolOutput {
  text: string;
}

/** What every agent has, whatever answers for it. */
interface AgentBase {
  name: string;
  role: AgentRole;
  /** One line for `aifactory agents` and the dashboard. */
  description: string;
  permissions: AgentPermissions;
  caps: Caps;
}

/**
 * An agent that calls a model: a provider and model, fallbacks, a prompt. Built-ins and model
 * plugins have exactly this shape.
 */
export interface ModelAgent extends AgentBase {
  role: ModelRole;
  provider: ProviderId;
  model: string;
  /** Tried in order when the primary is rate-limited or down. */
  fallbacks: readonly ModelRef[];
  /** Prompt file under `prompts/` (without `.md`) used when this agent writes code. */
  prompt: string;
  /**
   * The agent's own guidance, added to each of its prompts (writing and reviewing) after the
   * factory's rules: how to write for its model family, a house checklist. Written by the
   * repository's owner, like the prompt files; it can narrow the rules, never lift them.
   */
  instructions?: string;
  /**
   * Whether the agent works through the tool loop (list, read, search, edit, run checks, finish).
   * Unset: yes, unless its provider is `local` (small local models often have no function
   * calling). `false` keeps the one-answer form of fenced file blocks.
   */
  tools?: boolean;
}

/** A `tool` agent: code that answers in the proposal format instead of a model. It calls no provider. */
export interface ToolAgent extends AgentBase {
  role: 'tool';
  run: (input: ToolInput) => Promise<ToolOutput>;
}

/**
 * An agent: a named worker with a role and permissions, answered for by a model (`ModelAgent`)
 * or by code (`ToolAgent`). Narrow on `role === 'tool'`.
 */
export type Agent = ModelAgent | ToolAgent;

/** What a tool agent's answer and the dashboard name as its provider and model: its own code. */
export const TOOL_ANSWERER = { provider: 'tool', model: 'tool' } as const;

/** Whether a model answers for `agent` (every role but `tool`). */
export function isModelAgent(agent: Agent): agent is ModelAgent {
  return agent.role !== 'tool';
}

/** Whether `agent` writes through the tool loop rather than one answer of fenced file blocks. */
export function usesTools(agent: ModelAgent): boolean {
  return agent.tools ?? agent.provider !== 'local';
}

/** The organisation behind a provider: a task's default reviewer comes from a different one. */
export function vendorOf(provider: ProviderId): string {
  switch (provider) {
    case 'gemini':
      return 'google';
    case 'openai':
      return 'openai';
    case 'xai':
      return 'xai';
    case 'local':
      return 'local';
    case 'replay':
      return 'replay';
  }
}
