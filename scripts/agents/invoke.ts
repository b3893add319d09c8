// Calls an agent: its model, then its fallbacks, each call limited by the budget ledger, all under one deadline.
import type { z } from 'zod';
import { DEFAULT_MAX_OUTPUT_TOKENS, type MaxOutputTokens, type ModelRef } from '../core/config.ts';
import { type ErrorInfo, FactoryError, TRANSIENT_CLASSES, toErrorInfo } from '../core/errors.ts';
import { failureOf, seconds } from '../providers/errors.ts';
import { DEFAULT_TIMEOUTS } from '../providers/index.ts';
import { inputTokenBound, repairInputBound, schemaTextOf } from '../providers/reply.ts';
import { structuredOutput } from '../providers/structured.ts';
import type { CallOptions, GenerateRequest, GenerateResult, ModelClient } from '../providers/types.ts';
import { untilAborted } from '../providers/watchdog.ts';
import type { BudgetLedger } from './budget/ledger.ts';
import type { ModelAgent } from './types.ts';

/**
 * The answer of an agent: which provider and model answered, what it cost, and what was tried. A
 * tool agent's answer names `tool` as its provider and model, at no cost.
 */
export interface AgentAnswer extends Omit<GenerateResult, 'warnings'> {
  /** What was off about the model's answer (see `GenerateResult.warnings`); a tool agent has none. */
  warnings?: string[];
  provider: string;
  costUsd: number;
  /** Each model tried, in order, the one that answered last: more than one means a fallback answered. */
  tried?: readonly { provider: string; model: string; error?: ErrorInfo }[];
}

/**
 * An agent call's request: the model client's, less the model (the agent's models are tried in
 * turn), with who asks and who is told of retries, fallbacks and warnings. Structured output is
 * named by its zod schema; its JSON Schema is made once per agent call.
 */
export type AgentRequest = Omit<GenerateRequest, 'model' | 'schema'> &
  CallOptions & {
    schema?: { name: string; zod: z.ZodType };
    /**
     * Called once, when a model has answered, before its spend is written: the run's call slot is
     * given back then, so writing the ledger does not keep another task's call waiting.
     */
    onAnswered?: () => void;
  };

/** What an agent call needs besides the agent and the request. */
export interface InvokeDeps {
  providerFor: (ref: ModelRef) => ModelClient;
  ledger: BudgetLedger;
  /** The whole agent call, every retry and fallback included; default 10 minutes. */
  deadlineMs?: number;
  /** Output ceilings per role (the config's `max_output_tokens`). */
  maxOutputTokens?: MaxOutputTokens;
}

const pathOf = (tried: NonNullable<AgentAnswer['tried']>): string =>
  tried.map((entry) => `${entry.provider}/${entry.model}: ${entry.error?.class ?? 'ok'}`).join('; ');

/**
 * Calls an agent's model, then its fallbacks in order when one is rate-limited or down
 * (`rate_limit`, `server`, `timeout`, `network`, after that provider's own retries). Before each
 * model the ledger sets the call's output limit from the caps, so a call that would pass a cap is
 * never made; the call is priced by the model it asked for. One deadline covers the whole call.
 *
 * @throws FactoryError `budget` (no model call was made for it), `timeout` (naming the limit that
 * was hit), or the last model's error, naming every model tried.
 */
export async function invokeAgent(
  agent: ModelAgent,
  request: AgentRequest,
  deps: InvokeDeps,
): Promise<AgentAnswer> {
  const refs: ModelRef[] = [{ provider: agent.provider, model: agent.model }, ...agent.fallbacks];
  const tried: NonNullable<AgentAnswer['tried']>[number][] = [];
  const { context, onEvent, onAnswered, schema: named, ...rest } = request;
  const call: CallOptions = { context, ...(onEvent ? { onEvent } : {}) };
  const asked: Omit<GenerateRequest, 'model'> = {
    ...rest,
    ...(named ? { schema: structuredOutput(named.name, named.zod) } : {}),
  };
  const taskId = context.taskId;
  // The worst case, reserved whole: the bytes sent bound the input tokens, and a structured
  // request may take a repair turn that sends it all again with the first answer.
  const firstInput = inputTokenBound(asked, schemaTextOf(asked));
  const turns = request.schema ? 2 : 1;
  const inputTokens = turns === 2 ? firstInput + repairInputBound(firstInput, 0) : firstInput;
  const ceiling =
    request.maxOutputTokens ?? (deps.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS)[context.role];
  const deadlineMs = deps.deadlineMs ?? DEFAULT_TIMEOUTS.deadlineMs;
  let current = refs[0]!;
  const deadline = new AbortController();
  const timer = setTimeout(() => {
    const path = pathOf([...tried, { ...current, error: { class: 'timeout', message: '' } }]);
    deadline.abort(
      new FactoryError(
        'timeout',
        `${agent.name}: the call deadline of ${seconds(deadlineMs)} (AIFACTORY_CALL_DEADLINE_MS) passed while ${current.provider}/${current.model} was answering (tried ${path}); the call was abandoned`,
      ),
    );
  }, deadlineMs);
  const signal = request.signal ? AbortSignal.any([request.signal, deadline.signal]) : deadline.signal;
  const cancelled = () => new FactoryError('timeout', `${agent.name}: the call was cancelled`);
  try {
    for (const [index, ref] of refs.entries()) {
      current = ref;
      const reservation = deps.ledger.reserve({
        agent,
        taskId,
        provider: ref.provider,
        model: ref.model,
        inputTokens,
        ceiling,
        turns,
      });
      try {
        const client = deps.providerFor(ref);
        const result = await untilAborted(
          client.generate(
            { ...asked, model: ref.model, maxOutputTokens: reservation.maxOutputTokens, signal },
            call,
          ),
          signal,
          cancelled,
        );
        onAnswered?.();
        const costUsd = await deps.ledger.record({
          agent: agent.name,
          taskId,
          provider: ref.provider,
          model: ref.model,
          tokens: {
            input: result.usage.inputTokens,
            output: result.usage.outputTokens,
            cachedInput: result.usage.cachedInputTokens ?? 0,
          },
          reservation,
        });
        tried.push({ provider: client.id, model: result.model });
        return { ...result, provider: client.id, costUsd, tried };
      } catch (error) {
        reservation.release();
        if (signal.aborted) throw signal.reason instanceof FactoryError ? signal.reason : cancelled();
        const info = toErrorInfo(error);
        tried.push({ provider: ref.provider, model: ref.model, error: info });
        // A fallback without a key is skipped like an outage; a primary without one fails at once.
        const moveOn = TRANSIENT_CLASSES.has(info.class) || (index > 0 && info.class === 'auth');
        const next = refs[index + 1];
        if (!next || !moveOn) {
          if (index === 0 || !(error instanceof FactoryError)) throw error;
          throw new FactoryError(error.errorClass, `${error.message} (tried ${pathOf(tried)})`);
        }
        onEvent?.({
          kind: 'fallback',
          agent: agent.name,
          from: { provider: ref.provider, model: ref.model },
          to: { provider: next.provider, model: next.model },
          failure: failureOf(error),
        });
      }
    }
  } finally {
    clearTimeout(timer);
  }
  /* c8 ignore next */
  throw new FactoryError('internal', `agent ${agent.name} has no model to call`);
}
