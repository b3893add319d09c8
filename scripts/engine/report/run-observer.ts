// The run's own file, `shared/status/run.json`: each agent's calls, tasks and failures, written as it goes.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Agent } from '../../agents/types.ts';
import { toErrorInfo } from '../../core/errors.ts';
import { stableStringify } from '../../core/stable-json.ts';
import {
  type AgentObservation,
  type RunFile,
  RunFileSchema,
  type RunTrigger,
  SCHEDULED_TRIGGERS,
} from '../../core/status/agent-status.ts';
import { writeFileAtomically } from '../../io/atomic-write.ts';
import { PROVIDER_ENV } from '../../providers/index.ts';
import type { CallEvent } from '../../providers/types.ts';
import type { SecretGuard } from '../guard/secret-guard.ts';
import type { CallAgent } from '../types.ts';

/** The run's own file, beside the snapshots it feeds. */
export const RUN_FILE = 'shared/status/run.json';

/**
 * Reads `shared/status/run.json`; null when there is none yet. A damaged file is reported
 * through `warn` (naming the file and the field) and read as none: it never stops a run.
 */
export async function readRunFile(root: string, warn: (message: string) => void): Promise<RunFile | null> {
  const text = await readFile(join(root, RUN_FILE), 'utf8').catch(() => undefined);
  if (text === undefined) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    warn(`${RUN_FILE} is not valid JSON; skipped (the next run rewrites it)`);
    return null;
  }
  const parsed = RunFileSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    warn(`${RUN_FILE}: field "${issue.path.join('.') || '(root)'}": ${issue.message}; skipped`);
    return null;
  }
  return parsed.data;
}

/**
 * The variable an agent's key is read from; null when it needs none: replay, a tool agent, or a
 * local server, which usually takes none (LOCAL_API_KEY is sent only when set), so a missing one
 * is never reported as a missing key.
 */
export function keyEnvOf(agent: Agent, replay: boolean): string | null {
  if (replay || agent.role === 'tool' || agent.provider === 'replay' || agent.provider === 'local')
    return null;
  return PROVIDER_ENV[agent.provider].key;
}

interface Tracked extends Omit<AgentObservation, 'working_on'> {
  working_on: Map<string, number>;
  /** When the last rate-limited try said to come back. */
  retry_at: string | null;
}

/** The least time between two writes of `run.json` while a run goes on: people read it, at most once a second. */
const LIVE_WRITE_MS = 1000;

/**
 * Watches the run's model calls and keeps, per agent, what the status needs: requests and tokens,
 * the tasks under way, the model that last answered and the last failure. From the first call on,
 * changes rewrite `run.json` (one write at a time, the newest state last, at most once every
 * `liveWriteMs`), so `agents --status` reads a run live; `flush` and `finish` write at once.
 */
export class RunObserver {
  readonly #root: string;
  readonly #now: () => Date;
  readonly #secrets: SecretGuard;
  readonly #agents = new Map<string, Tracked>();
  readonly #run: Omit<RunFile, 'agents' | 'finished_at'>;
  #finishedAt: string | null = null;
  #writing: Promise<void> = Promise.resolve();
  #dirty = false;
  #called = false;
  readonly #liveWriteMs: number;
  /** When the last write was started (process time), and the timer of the next one. */
  #lastWrite = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: {
    root: string;
    trigger: RunTrigger;
    replay: boolean;
    now: () => Date;
    secrets: SecretGuard;
    previous: RunFile | null;
    /** Every registered agent; whether its key is set is read from `env` (the value never is kept). */
    agents: readonly Agent[];
    env: Readonly<Record<string, string | undefined>>;
    /** The least time between two writes while the run goes on; default 1 s. */
    liveWriteMs?: number;
  }) {
    this.#root = options.root;
    this.#liveWriteMs = options.liveWriteMs ?? LIVE_WRITE_MS;
    this.#now = options.now;
    this.#secrets = options.secrets;
    const startedAt = options.now().toISOString();
    this.#run = {
      version: 1,
      trigger: options.trigger,
      replay: options.replay,
      started_at: startedAt,
      last_scheduled_at: SCHEDULED_TRIGGERS.has(options.trigger)
        ? startedAt
        : (options.previous?.last_scheduled_at ?? null),
    };
    for (const agent of options.agents) {
      const keyEnv = keyEnvOf(agent, options.replay);
      this.#agents.set(agent.name, {
        name: agent.name,
        key_env: keyEnv,
        key_configured: keyEnv === null ? null : Boolean(options.env[keyEnv]?.trim()),
        requests: 0,
        tokens: { input: 0, output: 0 },
        working_on: new Map(),
        last_answer: null,
        last_failure: null,
        retry_at: null,
      });
    }
  }

  /** The run's file as it stands. */
  file(): RunFile {
    return {
      ...this.#run,
      finished_at: this.#finishedAt,
      agents: [...this.#agents.values()].map(({ retry_at, working_on, ...seen }) => ({
        ...seen,
        tokens: { ...seen.tokens },
        working_on: [...working_on.keys()].sort(),
      })),
    };
  }

  /** `callAgent` that reports to this observer. */
  wrap(call: CallAgent): CallAgent {
    return async (agent, request) => {
      const seen = this.#agents.get(agent.name);
      if (!seen) return call(agent, request);
      const taskId = request.context.taskId;
      this.#called = true;
      seen.working_on.set(taskId, (seen.working_on.get(taskId) ?? 0) + 1);
      seen.retry_at = null;
      this.#changed();
      const onEvent = (event: CallEvent): void => {
        request.onEvent?.(event);
        // A warning is about an answer already counted; retries and fallbacks are requests.
        if (event.kind === 'warning') return;
        seen.requests += 1;
        if (event.kind === 'retry' && event.failure.class === 'rate_limit') {
          seen.retry_at = new Date(this.#now().getTime() + event.delayMs).toISOString();
        }
        this.#changed();
      };
      try {
        const answer = await call(agent, { ...request, onEvent });
        seen.requests += 1;
        seen.tokens.input += answer.usage.inputTokens;
        seen.tokens.output += answer.usage.outputTokens;
        seen.last_answer = {
          provider: answer.provider,
          model: answer.model,
          fallback: (answer.tried?.length ?? 1) > 1,
          at: this.#now().toISOString(),
        };
        seen.last_failure = null;
        return answer;
      } catch (error) {
        const info = toErrorInfo(error);
        // A budget refusal is decided before any request is made.
        if (info.class !== 'budget') seen.requests += 1;
        seen.last_failure = {
          ...info,
          at: this.#now().toISOString(),
          until: info.class === 'rate_limit' ? seen.retry_at : null,
        };
        throw error;
      } finally {
        const left = (seen.working_on.get(taskId) ?? 1) - 1;
        if (left > 0) seen.working_on.set(taskId, left);
        else seen.working_on.delete(taskId);
        this.#changed();
      }
    };
  }

  /**
   * Marks the run over and writes its file a last time. A run that called no model and touched
   * no task leaves the file as it was: a rerun with nothing to do changes no byte, and commits nothing.
   */
  async finish(touched: number): Promise<RunFile> {
    this.#finishedAt = this.#now().toISOString();
    if (this.#called || touched > 0) this.#changed();
    await this.flush();
    return this.file();
  }

  /** Resolves once every change so far is on disk. */
  async flush(): Promise<void> {
    if (this.#timer) this.#write();
    let pending = this.#writing;
    for (;;) {
      await pending;
      if (pending === this.#writing) return;
      pending = this.#writing;
    }
  }

  #changed(): void {
    if (this.#dirty) return;
    this.#dirty = true;
    const wait = this.#lastWrite + this.#liveWriteMs - performance.now();
    if (wait <= 0) {
      this.#write();
      return;
    }
    // Changes until then go into the same write: the file is a view, not a log.
    this.#timer = setTimeout(() => this.#write(), wait);
    this.#timer.unref();
  }

  #write(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#lastWrite = performance.now();
    this.#writing = this.#writing.then(async () => {
      this.#dirty = false;
      const text = stableStringify(this.#secrets.redactDeep(this.file()));
      // A status file that cannot be written never fails a task.
      await writeFileAtomically(join(this.#root, RUN_FILE), text).catch(() => undefined);
    });
  }
}
