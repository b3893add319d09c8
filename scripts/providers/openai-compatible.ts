import OpenAI from 'openai';
import { z } from 'zod';
import type { ProviderId } from '../core/config.ts';
import { FactoryError } from '../core/errors.ts';
import { classOfStatus, ProviderError, redact, retryAfterMs } from './errors.ts';
import { type Limits, limiterFor } from './limiter.ts';
import { DEFAULT_RETRY, type RetryPolicy, withRetries } from './retry.ts';
import { generateWithRepair } from './structured.ts';
import type { ChatMessage, FinishReason, GenerateRequest, GenerateResult, Provider } from './types.ts';

/** Settings of one OpenAI-compatible endpoint. */
export interface OpenAiCompatibleOptions {
  id: Extract<ProviderId, 'openai' | 'xai' | 'local'>;
  apiKey: string;
  baseURL?: string;
  timeoutMs: number;
  retry?: RetryPolicy;
  limits: Limits;
  fetch?: typeof fetch;
}

function finishReason(reason: string | null | undefined): FinishReason {
  if (reason === 'stop' || reason === 'length' || reason === 'content_filter') return reason;
  return 'other';
}

/** Maps what the openai SDK throws onto the factory's error classes, without the key. */
export function classifyOpenAiError(error: unknown, id: string, key: string): FactoryError {
  if (error instanceof FactoryError) return error;
  const clean = (message: string) => redact(message, [key]);
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return new ProviderError('timeout', `${id}: the request timed out`);
  }
  if (error instanceof OpenAI.APIUserAbortError)
    return new ProviderError('timeout', `${id}: the request was cancelled`);
  if (error instanceof OpenAI.APIConnectionError) {
    return new ProviderError('network', `${id}: connection failed (${clean(error.message)})`);
  }
  if (error instanceof OpenAI.APIError && error.status !== undefined) {
    const status = error.status;
    const errorClass = classOfStatus(status);
    const hint =
      errorClass === 'auth'
        ? '; check the API key'
        : errorClass === 'config'
          ? '; check the model name and request'
          : '';
    const after = retryAfterMs(error.headers as Headers | undefined);
    return new ProviderError(errorClass, `${id}: HTTP ${status}: ${clean(error.message)}${hint}`, {
      status,
      ...(after !== undefined ? { retryAfterMs: after } : {}),
    });
  }
  if (error instanceof SyntaxError || (error instanceof Error && /JSON/i.test(error.message))) {
    return new ProviderError('bad_output', `${id}: the response was not valid JSON`);
  }
  return new ProviderError(
    'network',
    `${id}: ${clean(error instanceof Error ? error.message : String(error))}`,
  );
}

/** OpenAI, xAI (Grok) and any OpenAI-compatible server, through the openai SDK. */
export class OpenAiCompatibleProvider implements Provider {
  readonly id: OpenAiCompatibleOptions['id'];
  readonly #client: OpenAI;
  readonly #options: OpenAiCompatibleOptions;

  constructor(options: OpenAiCompatibleOptions) {
    this.id = options.id;
    this.#options = options;
    this.#client = new OpenAI({
      apiKey: options.apiKey,
      ...(options.baseURL ? { baseURL: options.baseURL } : {}),
      // One retry layer only: ours (withRetries), which honours retry-after and classifies errors.
      maxRetries: 0,
      timeout: options.timeoutMs,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const limiter = limiterFor(`${this.id}:${this.#options.baseURL ?? ''}`, this.#options.limits);
    return generateWithRepair(
      request,
      (messages) => limiter.run(() => this.#call(request, messages)),
      this.id,
    );
  }

  #call(request: GenerateRequest, messages: readonly ChatMessage[]): Promise<GenerateResult> {
    return withRetries(
      async () => {
        const started = performance.now();
        try {
          const body = {
            model: request.model,
            messages: [{ role: 'system' as const, content: request.system }, ...messages],
            ...(request.maxOutputTokens ? { max_tokens: request.maxOutputTokens } : {}),
            ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
            ...(request.schema
              ? {
                  response_format: {
                    type: 'json_schema' as const,
                    json_schema: {
                      name: request.schema.name,
                      schema: z.toJSONSchema(request.schema.zod) as Record<string, unknown>,
                    },
                  },
                }
              : {}),
          };
          const options = request.signal ? { signal: request.signal } : {};
          if (request.stream) return await this.#streamed(request, body, options, started);
          const completion = await this.#client.chat.completions.create(body, options);
          const choice = completion.choices?.[0];
          const text = choice?.message?.content ?? '';
          if (!choice || (text === '' && !request.schema)) {
            throw new ProviderError('bad_output', `${this.id} ${request.model}: the answer is empty`);
          }
          return {
            text,
            usage: {
              inputTokens: completion.usage?.prompt_tokens ?? 0,
              outputTokens: completion.usage?.completion_tokens ?? 0,
            },
            model: completion.model || request.model,
            finishReason: finishReason(choice.finish_reason),
            latencyMs: Math.round(performance.now() - started),
          };
        } catch (error) {
          throw classifyOpenAiError(error, this.id, this.#options.apiKey);
        }
      },
      this.#options.retry ?? DEFAULT_RETRY,
      request.signal,
    );
  }

  /** Reads a streamed completion; a stream that ends without a finish reason is a dropped connection. */
  async #streamed(
    request: GenerateRequest,
    body: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming,
    options: { signal?: AbortSignal },
    started: number,
  ): Promise<GenerateResult> {
    const stream = await this.#client.chat.completions.create(
      { ...body, stream: true, stream_options: { include_usage: true } },
      options,
    );
    let text = '';
    let finish: string | null = null;
    let model = request.model;
    let usage = { inputTokens: 0, outputTokens: 0 };
    for await (const chunk of stream) {
      if (chunk.model) model = chunk.model;
      const choice = chunk.choices?.[0];
      text += choice?.delta?.content ?? '';
      finish = choice?.finish_reason ?? finish;
      if (chunk.usage) {
        usage = {
          inputTokens: chunk.usage.prompt_tokens ?? 0,
          outputTokens: chunk.usage.completion_tokens ?? 0,
        };
      }
    }
    if (finish === null)
      throw new ProviderError('network', `${this.id} ${request.model}: the stream ended early`);
    if (text === '' && !request.schema) {
      throw new ProviderError('bad_output', `${this.id} ${request.model}: the answer is empty`);
    }
    return {
      text,
      usage,
      model,
      finishReason: finishReason(finish),
      latencyMs: Math.round(performance.now() - started),
    };
  }
}
