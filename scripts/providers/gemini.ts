import { ApiError, GoogleGenAI } from '@google/genai';
import { z } from 'zod';
import { FactoryError } from '../core/errors.ts';
import { classOfStatus, ProviderError, redact } from './errors.ts';
import { type Limits, limiterFor } from './limiter.ts';
import { DEFAULT_RETRY, type RetryPolicy, withRetries } from './retry.ts';
import { generateWithRepair } from './structured.ts';
import type { ChatMessage, FinishReason, GenerateRequest, GenerateResult, Provider } from './types.ts';

export interface GeminiOptions {
  apiKey: string;
  baseUrl?: string;
  timeoutMs: number;
  retry?: RetryPolicy;
  limits: Limits;
}

function finishReason(reason: string | undefined): FinishReason {
  if (reason === 'STOP') return 'stop';
  if (reason === 'MAX_TOKENS') return 'length';
  if (reason === 'SAFETY' || reason === 'PROHIBITED_CONTENT' || reason === 'BLOCKLIST')
    return 'content_filter';
  return 'other';
}

/** Maps what @google/genai throws onto the factory's error classes, without the key. */
export function classifyGeminiError(error: unknown, key: string): FactoryError {
  if (error instanceof FactoryError) return error;
  const message = redact(error instanceof Error ? error.message : String(error), [key]);
  if (error instanceof ApiError) {
    const errorClass = classOfStatus(error.status);
    const hint = errorClass === 'auth' ? '; check GEMINI_API_KEY' : '';
    return new ProviderError(errorClass, `gemini: HTTP ${error.status}: ${message.slice(0, 300)}${hint}`, {
      status: error.status,
    });
  }
  if (
    error instanceof Error &&
    (error.name === 'AbortError' || error.name === 'TimeoutError' || /abort|timed? ?out/i.test(message))
  ) {
    return new ProviderError('timeout', 'gemini: the request timed out or was cancelled');
  }
  if (error instanceof SyntaxError)
    return new ProviderError('bad_output', 'gemini: the response was not valid JSON');
  const cause = (error as { cause?: { code?: string } } | undefined)?.cause?.code;
  if (error instanceof TypeError || (cause && /^(ECONN|EPIPE|ETIMEDOUT|ENOTFOUND|UND_ERR)/.test(cause))) {
    return new ProviderError('network', `gemini: connection failed (${message.slice(0, 200)})`);
  }
  // Not from the network: the SDK refused the request itself. Retrying would not help.
  return new ProviderError('internal', `gemini: ${message.slice(0, 300)}`);
}

/** Google Gemini through @google/genai (the successor of @google/generative-ai). */
export class GeminiProvider implements Provider {
  readonly id = 'gemini' as const;
  readonly #client: GoogleGenAI;
  readonly #options: GeminiOptions;

  constructor(options: GeminiOptions) {
    this.#options = options;
    this.#client = new GoogleGenAI({
      apiKey: options.apiKey,
      httpOptions: {
        ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
        timeout: options.timeoutMs,
        // One retry layer only: ours.
        retryOptions: { attempts: 1 },
      },
    });
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const limiter = limiterFor(`gemini:${this.#options.baseUrl ?? ''}`, this.#options.limits);
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
          const params = {
            model: request.model,
            contents: messages.map((message) => ({
              role: message.role === 'assistant' ? 'model' : 'user',
              parts: [{ text: message.content }],
            })),
            config: {
              systemInstruction: request.system,
              ...(request.maxOutputTokens ? { maxOutputTokens: request.maxOutputTokens } : {}),
              ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
              ...(request.schema
                ? {
                    responseMimeType: 'application/json',
                    responseJsonSchema: z.toJSONSchema(request.schema.zod),
                  }
                : {}),
              ...(request.signal ? { abortSignal: request.signal } : {}),
            },
          };
          const responses = request.stream
            ? await this.#client.models.generateContentStream(params)
            : [await this.#client.models.generateContent(params)];
          let text = '';
          let finish: string | undefined;
          let model = request.model;
          let usage = { inputTokens: 0, outputTokens: 0 };
          let answered = false;
          for await (const response of responses) {
            const candidate = response.candidates?.[0];
            answered ||= candidate !== undefined;
            text += response.text ?? '';
            finish = candidate?.finishReason ?? finish;
            if (response.modelVersion) model = response.modelVersion;
            if (response.usageMetadata) {
              usage = {
                inputTokens: response.usageMetadata.promptTokenCount ?? 0,
                outputTokens: response.usageMetadata.candidatesTokenCount ?? 0,
              };
            }
          }
          if (request.stream && finish === undefined) {
            throw new ProviderError('network', `gemini ${request.model}: the stream ended early`);
          }
          if (!answered || (text === '' && !request.schema)) {
            throw new ProviderError('bad_output', `gemini ${request.model}: the answer is empty`);
          }
          return {
            text,
            usage,
            model,
            finishReason: finishReason(finish),
            latencyMs: Math.round(performance.now() - started),
          };
        } catch (error) {
          throw classifyGeminiError(error, this.#options.apiKey);
        }
      },
      this.#options.retry ?? DEFAULT_RETRY,
      request.signal,
    );
  }
}
