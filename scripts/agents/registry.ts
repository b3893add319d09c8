// The agent registry: built-ins, plugins and config overrides by name, and the choice of each task's reviewer.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AgentConfig, Config, PermissionsInput } from '../core/config.ts';
import { FactoryError } from '../core/errors.ts';
import { closestMatch } from '../core/suggest.ts';
import geminiPro from './builtin/gemini-pro.ts';
import gpt from './builtin/gpt.ts';
import grokFast from './builtin/grok-fast.ts';
import { defineAgent } from './define-agent.ts';
import { type Agent, isModelAgent, type ModelAgent, vendorOf } from './types.ts';

/** The agents every installation has, before plugins and config overrides. */
export const BUILTIN_AGENTS: readonly ModelAgent[] = [geminiPro, gpt, grokFast];

/** The agents known to this repository, by name. */
export class AgentRegistry {
  readonly #agents: Map<string, Agent>;
  readonly #defaultReviewer: string | undefined;

  constructor(agents: readonly Agent[], defaultReviewer?: string) {
    this.#agents = new Map(agents.map((agent) => [agent.name, agent]));
    if (defaultReviewer !== undefined && !this.#agents.has(defaultReviewer)) {
      throw new FactoryError('config', `default_reviewer: ${this.#unknown(defaultReviewer)}`);
    }
    this.#defaultReviewer = defaultReviewer;
  }

  /** Every agent, sorted by name. */
  list(): Agent[] {
    return [...this.#agents.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): Agent | undefined {
    return this.#agents.get(name);
  }

  /** The agent called `name`, or a config error that suggests the closest name. */
  require(name: string): Agent {
    const agent = this.#agents.get(name);
    if (!agent) throw new FactoryError('config', this.#unknown(name));
    return agent;
  }

  /**
   * The model agent called `name`, for a step that calls its model (a review).
   * @throws FactoryError `config` when no agent has that name, or when it is a tool agent.
   */
  requireModel(name: string, purpose = 'review'): ModelAgent {
    const agent = this.require(name);
    if (!isModelAgent(agent)) {
      throw new FactoryError(
        'config',
        `agent "${name}" is a tool agent: it calls no model, so it cannot ${purpose}; choose a model agent`,
      );
    }
    return agent;
  }

  /**
   * The reviewer of a task: its own `reviewer`, else the configured default reviewer, else the
   * first agent that reviews independently of the assignee (see `reviewsIndependently`;
   * reviewer-role agents first; tools and planners write no code, so they review none by default).
   * Falls back to any other agent when none is independent.
   * @throws FactoryError `config` when the default reviewer cannot review the assignee's work
   *   independently: a setting that cannot apply is an error, never silently replaced by an agent
   *   of another vendor (which could send a fully local set-up's code to a cloud); `config` when
   *   the task's reviewer or the default reviewer is a tool agent, which calls no model.
   */
  reviewerFor(task: { assignee: string; reviewer?: string | undefined }): ModelAgent {
    if (task.reviewer !== undefined) return this.requireModel(task.reviewer);
    const assignee = this.require(task.assignee);
    const preferred = this.#defaultReviewer ? this.requireModel(this.#defaultReviewer) : undefined;
    if (preferred && preferred.name !== assignee.name) {
      if (reviewsIndependently(assignee, preferred)) return preferred;
      throw new FactoryError(
        'config',
        `default_reviewer: "${preferred.name}" cannot review tasks of "${assignee.name}": both use ${preferred.provider} model ${preferred.model}. Choose a default_reviewer of another vendor (or, for local agents, another model), or set the task's reviewer`,
      );
    }
    const candidates = this.list()
      .filter(isModelAgent)
      .filter((agent) => agent.name !== assignee.name && agent.role !== 'planner');
    const ranked = [
      ...candidates.filter((agent) => agent.role === 'reviewer'),
      ...candidates.filter((agent) => agent.role !== 'reviewer'),
    ];
    const other = ranked.find((agent) => reviewsIndependently(assignee, agent)) ?? ranked[0];
    if (!other) {
      throw new FactoryError('config', `no agent can review tasks of "${assignee.name}"; add a second agent`);
    }
    return other;
  }

  #unknown(name: string): string {
    const names = [...this.#agents.keys()].sort();
    const guess = closestMatch(name, names);
    return `unknown agent "${name}"${guess ? `; did you mean "${guess}"?` : ''} (known: ${names.join(', ')})`;
  }
}

/**
 * Whether `reviewer` judges `assignee`'s work as a second opinion: an agent of another vendor, or,
 * on local servers, where every model is "local", another model. Any model judges a tool agent's work.
 */
export function reviewsIndependently(assignee: Agent, reviewer: ModelAgent): boolean {
  if (reviewer.name === assignee.name) return false;
  if (!isModelAgent(assignee)) return true;
  const vendor = vendorOf(assignee.provider);
  if (vendorOf(reviewer.provider) !== vendor) return true;
  return vendor === 'local' && reviewer.model !== assignee.model;
}

function isAgent(value: unknown): value is Agent {
  if (typeof value !== 'object' || value === null) return false;
  const agent = value as {
    name?: unknown;
    role?: unknown;
    provider?: unknown;
    model?: unknown;
    run?: unknown;
  };
  if (typeof agent.name !== 'string' || typeof agent.role !== 'string') return false;
  return agent.role === 'tool'
    ? typeof agent.run === 'function'
    : typeof agent.provider === 'string' && typeof agent.model === 'string';
}

async function loadPlugin(root: string, path: string): Promise<Agent> {
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(join(root, path)).href)) as { default?: unknown };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new FactoryError('config', `plugin ${path}: cannot be loaded: ${reason}`);
  }
  if (!isAgent(module.default)) {
    throw new FactoryError('config', `plugin ${path}: the default export must be defineAgent({…})`);
  }
  return module.default;
}

/** Applies a config entry: overrides a known agent field by field, or declares a new one. */
function applyOverride(existing: Agent | undefined, entry: AgentConfig, index: number): Agent {
  const source = `aifactory.config.ts agents.${index}`;
  if (!existing) {
    if (!entry.role) {
      throw new FactoryError('config', `${source}: new agent "${entry.name}" needs a role`);
    }
    return defineAgent({ ...entry, role: entry.role }, source);
  }
  const inherited =
    existing.role === 'tool' ? { ...existing } : { ...existing, fallbacks: [...existing.fallbacks] };
  return defineAgent(
    {
      ...inherited,
      ...entry,
      role: entry.role ?? existing.role,
      permissions: {
        github: entry.permissions?.github ?? existing.permissions.github,
        // An agent's areas were checked against the same enum when it was defined.
        control_plane:
          entry.permissions?.control_plane ??
          (existing.permissions.controlPlane as NonNullable<PermissionsInput['control_plane']>),
      },
      caps: { ...existing.caps, ...entry.caps },
    },
    source,
  );
}

/** Built-ins, then plugins, then the config's agent entries (later ones win by name). */
export async function loadRegistry(root: string, config: Config): Promise<AgentRegistry> {
  const agents = new Map<string, Agent>(BUILTIN_AGENTS.map((agent) => [agent.name, agent]));
  for (const path of config.plugins) {
    const agent = await loadPlugin(root, path);
    agents.set(agent.name, agent);
  }
  config.agents.forEach((entry, index) => {
    agents.set(entry.name, applyOverride(agents.get(entry.name), entry, index));
  });
  return new AgentRegistry([...agents.values()], config.default_reviewer);
}
