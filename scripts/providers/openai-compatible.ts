// The OpenAI-compatible provider, for OpenAI, xAI and local servers: one chat-completions request per call.
import OpenAI from 'openai';
import type { ProviderId } from '../core/config.ts';
import { FactoryError } from '../core/errors.ts';
import { atEndpoint, classOfStatus, ProviderError, redact, retryAfterMs, seconds } from './errors.ts';
import { serverLimits } from './rate-headers.ts';
import { appendAnswer, ToolCallAssembler, wholeReply } from './reply.ts';
import type {
  ChatMessage,
  FinishReason,
  Provider,
  ProviderReply,
  ProviderRequest,
  ToolCall,
} from './types.ts';

/** Settings of one OpenAI-compatible endpoint. */
export interface OpenAiCompatibleOptions {
  id: Extract<ProviderId, 'openai' | 'xai' | 'local'>;
  apiKey: string;
  baseURL?: string;
  /** How long one request may wait for its response (for a stream: until the stream begins). */
  timeoutMs: number;
  fetch?: typeof fetch;
  /** The variable that sets `baseURL`, named when the endpoint cannot be reached. */
  baseUrlVariable?: string;
}

function finishReason(reason: string | null | undefined): FinishReason {
  if (reason === 'stop' || reason === 'length' || reason === 'content_filter' || reason === 'tool_calls')
    return reason;
  return 'other';
}

type WireMessage = OpenAI.Chat.ChatCompletionMessageParam;

/** A conversation in chat-completions form: tool calls on the assistant's turn, each result paired by its call id. */
export function toOpenAiMessages(system: string, messages: readonly ChatMessage[]): WireMessage[] {
  const wire: WireMessage[] = [{ role: 'system', content: system }];
  for (const message of messages) {
    if (message.role === 'tool') {
      wire.push({ role: 'tool', tool_call_id: message.toolCallId ?? '', content: message.content });
    } else if (message.role === 'assistant' && message.toolCalls && message.toolCalls.length > 0) {
      wire.push({
        role: 'assistant',
        content: message.content === '' ? null : message.content,
        tool_calls: message.toolCalls.map((call) => ({
          id: call.id,
          type: 'function' as const,
          function: {
            name: call.name,
            arguments:
              typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? {}),
          },
        })),
      });
    } else {
      wire.push({ role: message.role, content: message.content });
    }
  }
  return wire;
}

/**
 * The function calls of an unstreamed answer; other kinds of call (custom tools) are none of ours:
 * each one left out is a warning.
 */
function callsOf(
  calls: readonly OpenAI.Chat.ChatCompletionMessageToolCall[] | null | undefined,
  warnings: string[],
): ToolCall[] {
  return (calls ?? []).flatMap((call, index) => {
    if (call.type === 'function')
      return [
        { id: call.id || `call_${index}`, name: call.function.name, arguments: call.function.arguments },
      ];
    warnings.push(`a tool call of the unknown type "${String(call.type).slice(0, 40)}" was left out`);
    return [];
  });
}

/** Token counts of an OpenAI usage block; cached tokens are part of `prompt_tokens`. */
function usageOf(usage: OpenAI.CompletionUsage | null | undefined): ProviderReply['usage'] {
  return {
    inputTokens: usage?.prompt_tokens,
    outputTokens: usage?.completion_tokens,
    cachedInputTokens: usage?.prompt_tokens_details?.cached_tokens,
  };
}

/** Maps what the openai SDK throws onto the factory's error classes, without the key. */
export function classifyOpenAiError(
  error: unknown,
  where: string,
  key: string,
  timeoutMs?: number,
): FactoryError {
  if (error instanceof FactoryError) return error;
  const clean = (message: string) => redact(message, [key]);
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    const limit = timeoutMs !== undefined ? ` within ${seconds(timeoutMs)}` : '';
    return new ProviderError(
      'timeout',
      `${where}: no response${limit} (the request timeout, AIFACTORY_TIMEOUT_MS)`,
    );
  }
  if (error instanceof OpenAI.APIUserAbortError)
    return new ProviderError('timeout', `${where}: the request was cancelled`);
  if (error instanceof OpenAI.APIConnectionError) {
    return new ProviderError('network', `${where}: connection failed (${clean(error.message)})`);
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
    const headers = error.headers as Headers | undefined;
    const after = retryAfterMs(headers);
    const server = serverLimits(headers);
    return new ProviderError(errorClass, `${where}: HTTP ${status}: ${clean(error.message)}${hint}`, {
      status,
      ...(after !== undefined ? { retryAfterMs: after } : {}),
      ...(server ? { server } : {}),
    });
  }
  if (error instanceof SyntaxError || (error instanceof Error && /JSON/i.test(error.message))) {
    return new ProviderError('bad_output', `${where}: the response was not valid JSON`);
  }
  return new ProviderError(
    'network',
    `${where}: ${clean(error instanceof Error ? error.message : String(error))}`,
  );
}

/**
 * OpenAI, xAI (Grok) and any OpenAI-compatible server, through the openai SDK: one HTTP request
 * per `generate`. OpenAI and xAI take the output limit as `max_completion_tokens` (`max_tokens` is
 * deprecated there and refused by reasoning models); local servers (Ollama, LM Studio, llama.cpp)
 * know only `max_tokens`.
 */
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
      // One retry layer only: the call layer's, which honours retry-after and classifies errors.
      maxRetries: 0,
      timeout: options.timeoutMs,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  async generate(request: ProviderRequest): Promise<ProviderReply> {
    const started = performance.now();
    const where = `${this.id} ${request.model}`;
    try {
      const limit = request.maxOutputTokens;
      const body = {
        model: request.model,
        messages: toOpenAiMessages(request.system, request.messages),
        ...(request.tools && request.tools.length > 0
          ? {
              tools: request.tools.map((tool) => ({
                type: 'function' as const,
                function: { name: tool.name, description: tool.description, parameters: tool.parameters },
              })),
            }
          : {}),
        ...(limit ? (this.id === 'local' ? { max_tokens: limit } : { max_completion_tokens: limit }) : {}),
        ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
        ...(request.schema
          ? {
              response_format: {
                type: 'json_schema' as const,
                json_schema: {
                  name: request.schema.name,
                  schema: request.schema.jsonSchema,
                },
              },
            }
          : {}),
      };
      const options = request.signal ? { signal: request.signal } : {};
      if (request.stream) return await this.#streamed(request, body, options, started);
      const { data: completion, response } = await this.#client.chat.completions
        .create(body, options)
        .withResponse();
      const server = serverLimits(response.headers);
      const choice = completion.choices?.[0];
      const content: unknown = choice?.message?.content;
      const text = typeof content === 'string' ? content : '';
      const warnings: string[] = [];
      const toolCalls = callsOf(choice?.message?.tool_calls, warnings);
      return wholeReply(where, {
        text,
        usage: usageOf(completion.usage),
        model: completion.model,
        finishReason: finishReason(choice?.finish_reason),
        toolCalls,
        cutShort: false,
        empty: !choice || (text === '' && !request.schema && toolCalls.length === 0),
        started,
        ...(server ? { server } : {}),
        warnings,
      });
    } catch (error) {
      throw atEndpoint(classifyOpenAiError(error, where, this.#options.apiKey, this.#options.timeoutMs), {
        url: this.#client.baseURL,
        variable: this.#options.baseUrlVariable ?? `${this.id.toUpperCase()}_BASE_URL`,
      });
    }
  }

  /** Reads a streamed completion; a stream that ends without a finish reason is a dropped connection. */
  async #streamed(
    request: ProviderRequest,
    body: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming,
    options: { signal?: AbortSignal },
    started: number,
  ): Promise<ProviderReply> {
    const { data: stream, response } = await this.#client.chat.completions
      .create({ ...body, stream: true, stream_options: { include_usage: true } }, options)
      .withResponse();
    const server = serverLimits(response.headers);
    let text = '';
    let finish: string | null = null;
    let model: unknown;
    let usage = usageOf(undefined);
    const where = `${this.id} ${request.model}`;
    const calls = new ToolCallAssembler();
    for await (const chunk of stream) {
      request.onChunk?.();
      if (chunk.model) model = chunk.model;
      const choice = chunk.choices?.[0];
      text = appendAnswer(text, choice?.delta?.content, request, where);
      for (const delta of choice?.delta?.tool_calls ?? []) calls.add(delta, request, where, text.length);
      finish = choice?.finish_reason ?? finish;
      if (chunk.usage) usage = usageOf(chunk.usage);
    }
    const toolCalls = calls.calls();
    return wholeReply(where, {
      text,
      usage,
      model,
      finishReason: finishReason(finish),
      toolCalls,
      cutShort: finish === null,
      empty: text === '' && !request.schema && toolCalls.length === 0,
      started,
      ...(server ? { server } : {}),
    });
  }
}
