// The call layer above every provider: output limit, idle timeout, rate limits, retries, repair, checked usage.
import { DEFAULT_MAX_OUTPUT_TOKENS, type MaxOutputTokens } from '../core/config.ts';
import { failureOf, ProviderError, seconds } from './errors.ts';
import type { Limiter } from './limiter.ts';
import { checkReply, estimateInputTokens, inputTokenBound, repairInputBound, schemaTextOf } from './reply.ts';
import { type RetryPolicy, withRetries } from './retry.ts';
import { generateWithRepair } from './structured.ts';
import type {
  CallOptions,
  GenerateRequest,
  GenerateResult,
  ModelClient,
  Provider,
  ProviderRequest,
} from './types.ts';
import { untilAborted, withIdleTimeout } from './watchdog.ts';

/** What the call layer applies around a provider. */
export interface CallLayerOptions {
  retry: RetryPolicy;
  /** The provider's process-wide limits; a slot is held for one HTTP request, never during a back-off. */
  limiter: Limiter;
  /** The longest silence (no response yet, or no new chunk) before one request is abandoned as `timeout`. */
  idleTimeoutMs: number;
  /** Output ceilings per role, for a request that names no maximum. */
  maxOutputTokens?: MaxOutputTokens;
}

/** The schema a request sends, and the most input tokens it may be charged for. */
interface RequestInput {
  schemaText: string;
  inputBound: number;
}

/**
 * The one layer above the `Provider` seam, in the manner of the AI SDK's `generateText`: a
 * provider does one HTTP request; this adds, for every provider alike, the maximum output size on
 * every request, the idle timeout, the provider's limits (per request), retries with back-off
 * (outside the limits), one structured-output repair turn, and checks of what the server reported.
 */
export class CallLayer implements ModelClient {
  readonly #provider: Provider;
  readonly #options: CallLayerOptions;

  constructor(provider: Provider, options: CallLayerOptions) {
    this.#provider = provider;
    this.#options = options;
  }

  get id(): Provider['id'] {
    return this.#provider.id;
  }

  async generate(request: GenerateRequest, call: CallOptions): Promise<GenerateResult> {
    const ceilings = this.#options.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
    const bounded = {
      ...request,
      maxOutputTokens: request.maxOutputTokens ?? ceilings[call.context.role],
    };
    // Structured output sends the schema too; it counts toward the input a server may bill. The
    // repair turn is bounded by what the budget reserved for it, not by the first answer's bytes.
    const schemaText = schemaTextOf(request);
    const firstBound = inputTokenBound(bounded, schemaText);
    const bounds = {
      schemaText,
      first: firstBound,
      repair: repairInputBound(firstBound, bounded.maxOutputTokens),
    };
    // Below the seam the schema is JSON Schema only: the zod schema stays here, for the check.
    const { schema, ...rest } = bounded;
    const wire: ProviderRequest & { maxOutputTokens: number } = {
      ...rest,
      ...(schema ? { schema: { name: schema.name, jsonSchema: schema.jsonSchema } } : {}),
    };
    const result = await generateWithRepair(
      bounded,
      (messages) =>
        this.#withRetries({ ...wire, messages }, call, {
          schemaText,
          inputBound: messages === bounded.messages ? bounds.first : bounds.repair,
        }),
      this.id,
    );
    for (const warning of result.warnings) {
      call.onEvent?.({
        kind: 'warning',
        agent: call.context.agent,
        provider: this.id,
        model: request.model,
        warning,
      });
    }
    return result;
  }

  #withRetries(
    request: ProviderRequest & { maxOutputTokens: number },
    call: CallOptions,
    input: RequestInput,
  ): Promise<GenerateResult> {
    const policy = this.#options.retry;
    return withRetries(() => this.#once(request, call, input), policy, {
      ...(request.signal ? { signal: request.signal } : {}),
      onRetry: (error, retry, delayMs) =>
        call.onEvent?.({
          kind: 'retry',
          agent: call.context.agent,
          provider: this.id,
          model: request.model,
          failure: failureOf(error),
          retry,
          of: policy.maxRetries,
          delayMs,
        }),
    });
  }

  /** One HTTP request, in a slot of the provider's limits, abandoned when it goes silent. */
  #once(
    request: ProviderRequest & { maxOutputTokens: number },
    call: CallOptions,
    input: RequestInput,
  ): Promise<GenerateResult> {
    const { schemaText, inputBound } = input;
    const where = `${this.id} ${request.model}`;
    const idleMs = this.#options.idleTimeoutMs;
    const cancelled = () => new ProviderError('timeout', `${where}: the call was cancelled`);
    const admission = { tokens: estimateInputTokens(request) + Math.ceil(schemaText.length / 4) };
    const work = this.#options.limiter.run(
      async (ticket) => {
        const reply = await withIdleTimeout(
          (signal, touch) => this.#provider.generate({ ...request, signal, onChunk: touch }, call.context),
          {
            idleMs,
            ...(request.signal ? { signal: request.signal } : {}),
            idle: () =>
              new ProviderError(
                'timeout',
                `${where}: nothing arrived for ${seconds(idleMs)} (the idle timeout, AIFACTORY_IDLE_TIMEOUT_MS); the server stalled or never answered`,
              ),
            cancelled,
          },
        ).catch((error: unknown) => {
          // A 429 (or any error) may still say where the budgets stand.
          if (error instanceof ProviderError && error.server) ticket.settle({ server: error.server });
          throw error;
        });
        const checked = checkReply(reply, request, inputBound);
        ticket.settle({
          tokens: checked.usage.inputTokens + checked.usage.outputTokens,
          ...(reply.server ? { server: reply.server } : {}),
        });
        return checked;
      },
      request.signal,
      admission,
    );
    return untilAborted(work, request.signal, cancelled);
  }
}
