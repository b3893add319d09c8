import type { ModelRef } from '../core/config.ts';
import { type ErrorInfo, FactoryError, toErrorInfo } from '../core/errors.ts';
import { RETRYABLE } from '../providers/errors.ts';
import type { GenerateRequest, GenerateResult, Provider } from '../providers/types.ts';
import type { BudgetLedger } from './budget.ts';
import type { Agent } from './types.ts';

/** The answer of an agent: which provider and model answered, what it cost, and what was tried. */
export interface AgentAnswer extends GenerateResult {
  provider: string;
  costUsd: number;
  tried: { provider: string; model: string; error?: ErrorInfo }[];
}

/** Output tokens assumed for the budget check when a request sets no maximum. */
export const DEFAULT_OUTPUT_ESTIMATE = 4000;

/** Tokens of a request, estimated at four characters per token. */
export function estimateInputTokens(request: Omit<GenerateRequest, 'model'>): number {
  const chars =
    request.system.length + request.messages.reduce((sum, message) => sum + message.content.length, 0);
  return Math.ceil(chars / 4);
}

/**
 * Calls an agent's model, then its fallbacks in order when one is rate-limited or down
 * (`rate_limit`, `server`, `timeout`, `network`, after that provider's own retries). The budget
 * is checked before every call, so a call that would pass a cap is never made.
 */
export async function invokeAgent(
  agent: Agent,
  request: Omit<GenerateRequest, 'model'>,
  deps: { providerFor: (ref: ModelRef) => Provider; ledger: BudgetLedger },
): Promise<AgentAnswer> {
  const refs: ModelRef[] = [{ provider: agent.provider, model: agent.model }, ...agent.fallbacks];
  const tried: AgentAnswer['tried'] = [];
  const input = estimateInputTokens(request);
  for (const [index, ref] of refs.entries()) {
    const estimateUsd = deps.ledger.costOf(ref.provider, ref.model, {
      input,
      output: request.maxOutputTokens ?? DEFAULT_OUTPUT_ESTIMATE,
    });
    deps.ledger.assertAllowed({ agent, taskId: request.context.taskId, estimateUsd });
    const last = index === refs.length - 1;
    try {
      const provider = deps.providerFor(ref);
      const result = await provider.generate({ ...request, model: ref.model });
      const costUsd = await deps.ledger.record({
        agent: agent.name,
        taskId: request.context.taskId,
        provider: provider.id,
        model: result.model,
        tokens: { input: result.usage.inputTokens, output: result.usage.outputTokens },
      });
      tried.push({ provider: provider.id, model: result.model });
      return { ...result, provider: provider.id, costUsd, tried };
    } catch (error) {
      const info = toErrorInfo(error);
      tried.push({ provider: ref.provider, model: ref.model, error: info });
      // A fallback without a key is skipped like an outage; a primary without one fails at once.
      const moveOn = RETRYABLE.has(info.class) || (index > 0 && info.class === 'auth');
      if (last || !moveOn) {
        if (index === 0 || !(error instanceof FactoryError)) throw error;
        const path = tried
          .map((entry) => `${entry.provider}/${entry.model}: ${entry.error?.class ?? 'ok'}`)
          .join('; ');
        throw new FactoryError(error.errorClass, `${error.message} (tried ${path})`);
      }
    }
  }
  /* c8 ignore next */
  throw new FactoryError('internal', `agent ${agent.name} has no model to call`);
}
