// The Gemini provider: one request per call through @google/genai, conversations and errors mapped to ours.
import { ApiError, type Content, type GenerateContentResponse, GoogleGenAI, type Part } from '@google/genai';
import { FactoryError } from '../core/errors.ts';
import { atEndpoint, classOfStatus, ProviderError, redact, seconds } from './errors.ts';
import { appendAnswer, checkFlood, wholeReply } from './reply.ts';
import type {
  ChatMessage,
  FinishReason,
  Provider,
  ProviderReply,
  ProviderRequest,
  ToolCall,
} from './types.ts';

/** Where the Gemini SDK sends requests when no base URL is given. */
const GEMINI_DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';

export interface GeminiOptions {
  apiKey: string;
  baseUrl?: string;
  /** How long one unstreamed request may take; streams are bounded by the call layer's idle timeout instead. */
  timeoutMs: number;
}

function finishReason(reason: string | undefined, called: boolean): FinishReason {
  if (reason === 'STOP') return called ? 'tool_calls' : 'stop';
  if (reason === 'MAX_TOKENS') return 'length';
  if (reason === 'SAFETY' || reason === 'PROHIBITED_CONTENT' || reason === 'BLOCKLIST')
    return 'content_filter';
  return 'other';
}

/** Maps what @google/genai throws onto the factory's error classes, without the key. */
export function classifyGeminiError(
  error: unknown,
  key: string,
  where = 'gemini',
  timeoutMs?: number,
): FactoryError {
  if (error instanceof FactoryError) return error;
  const message = redact(error instanceof Error ? error.message : String(error), [key]);
  if (error instanceof ApiError) {
    const errorClass = classOfStatus(error.status);
    const hint = errorClass === 'auth' ? '; check GEMINI_API_KEY' : '';
    return new ProviderError(errorClass, `${where}: HTTP ${error.status}: ${message.slice(0, 300)}${hint}`, {
      status: error.status,
    });
  }
  if (
    error instanceof Error &&
    (error.name === 'AbortError' || error.name === 'TimeoutError' || /abort|timed? ?out/i.test(message))
  ) {
    const limit =
      timeoutMs !== undefined ? ` (the request timeout of ${seconds(timeoutMs)}, AIFACTORY_TIMEOUT_MS)` : '';
    return new ProviderError('timeout', `${where}: the request timed out or was cancelled${limit}`);
  }
  if (error instanceof SyntaxError)
    return new ProviderError('bad_output', `${where}: the response was not valid JSON`);
  const cause = (error as { cause?: { code?: string } } | undefined)?.cause?.code;
  if (error instanceof TypeError || (cause && /^(ECONN|EPIPE|ETIMEDOUT|ENOTFOUND|UND_ERR)/.test(cause))) {
    return new ProviderError('network', `${where}: connection failed (${message.slice(0, 200)})`);
  }
  // Not from the network: the SDK refused the request itself. Retrying would not help.
  return new ProviderError('internal', `${where}: ${message.slice(0, 300)}`);
}

/**
 * A conversation as Gemini contents: the model's turn carries its function calls (with the thought
 * signature it attached, which the API wants back); the results of one turn's calls travel
 * together in one user turn, as function responses named after their calls.
 */
export function toGeminiContents(messages: readonly ChatMessage[]): Content[] {
  const contents: Content[] = [];
  for (const message of messages) {
    if (message.role === 'tool') {
      const part: Part = {
        functionResponse: {
          id: message.toolCallId ?? '',
          name: message.toolName ?? '',
          response: { output: message.content },
        },
      };
      const last = contents.at(-1);
      if (last?.parts?.[0]?.functionResponse) last.parts.push(part);
      else contents.push({ role: 'user', parts: [part] });
      continue;
    }
    const parts: Part[] = message.content === '' ? [] : [{ text: message.content }];
    for (const call of message.toolCalls ?? []) {
      parts.push({
        functionCall: {
          id: call.id,
          name: call.name,
          args: (call.arguments ?? {}) as Record<string, unknown>,
        },
        ...(call.signature ? { thoughtSignature: call.signature } : {}),
      });
    }
    contents.push({ role: message.role === 'assistant' ? 'model' : 'user', parts });
  }
  return contents;
}

/** The answer's text (thoughts left out) and function calls in one response's parts. */
function partsOf(parts: readonly Part[], callsSoFar: number): { text: string; calls: ToolCall[] } {
  let text = '';
  const calls: ToolCall[] = [];
  for (const part of parts) {
    if (typeof part.text === 'string' && !part.thought) text += part.text;
    if (part.functionCall) {
      calls.push({
        id: part.functionCall.id || `call_${callsSoFar + calls.length}`,
        name: part.functionCall.name ?? '',
        arguments: part.functionCall.args ?? {},
        ...(part.thoughtSignature ? { signature: part.thoughtSignature } : {}),
      });
    }
  }
  return { text, calls };
}

/** Output tokens as Gemini bills them: the answer plus the model's thinking. */
function outputTokens(metadata: GenerateContentResponse['usageMetadata']): unknown {
  const answer = metadata?.candidatesTokenCount;
  const thoughts = metadata?.thoughtsTokenCount;
  if (typeof thoughts !== 'number') return answer;
  return typeof answer === 'number' ? answer + thoughts : thoughts;
}

/** Google Gemini through @google/genai (the successor of @google/generative-ai): one HTTP request per `generate`. */
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
        // One retry layer only: the call layer's.
        retryOptions: { attempts: 1 },
      },
    });
  }

  async generate(request: ProviderRequest): Promise<ProviderReply> {
    const started = performance.now();
    const where = `gemini ${request.model}`;
    try {
      const params = {
        model: request.model,
        contents: toGeminiContents(request.messages),
        config: {
          systemInstruction: request.system,
          ...(request.tools && request.tools.length > 0
            ? {
                tools: [
                  {
                    functionDeclarations: request.tools.map((tool) => ({
                      name: tool.name,
                      description: tool.description,
                      parametersJsonSchema: tool.parameters,
                    })),
                  },
                ],
              }
            : {}),
          ...(request.maxOutputTokens ? { maxOutputTokens: request.maxOutputTokens } : {}),
          ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
          ...(request.schema
            ? {
                responseMimeType: 'application/json',
                responseJsonSchema: request.schema.jsonSchema,
              }
            : {}),
          ...(request.signal ? { abortSignal: request.signal } : {}),
          // The SDK keeps its timeout armed while a stream is read, so a long answer that is still
          // arriving would be cut and paid for again; the call layer's idle timeout and deadline
          // bound streams instead.
          ...(request.stream ? { httpOptions: { timeout: 0 } } : {}),
        },
      };
      const responses = request.stream
        ? await this.#client.models.generateContentStream(params)
        : [await this.#client.models.generateContent(params)];
      let text = '';
      let finish: string | undefined;
      let model: unknown;
      let usage: ProviderReply['usage'] = { inputTokens: undefined, outputTokens: undefined };
      let answered = false;
      const toolCalls: ToolCall[] = [];
      let callChars = 0;
      for await (const response of responses) {
        request.onChunk?.();
        const candidate = response.candidates?.[0];
        answered ||= candidate !== undefined;
        const found = partsOf(candidate?.content?.parts ?? [], toolCalls.length);
        text = appendAnswer(text, found.text, request, where);
        toolCalls.push(...found.calls);
        // Calls count toward the flood limit with the text: a server can flood through either.
        if (found.calls.length > 0) callChars += JSON.stringify(found.calls).length;
        checkFlood(text.length + callChars, request, where);
        finish = candidate?.finishReason ?? finish;
        if (response.modelVersion) model = response.modelVersion;
        if (response.usageMetadata) {
          usage = {
            inputTokens: response.usageMetadata.promptTokenCount,
            outputTokens: outputTokens(response.usageMetadata),
            // Part of promptTokenCount, billed at the cached rate.
            cachedInputTokens: response.usageMetadata.cachedContentTokenCount,
          };
        }
      }
      return wholeReply(where, {
        text,
        usage,
        model,
        finishReason: finishReason(finish, toolCalls.length > 0),
        toolCalls,
        cutShort: request.stream === true && finish === undefined,
        empty: !answered || (text === '' && !request.schema && toolCalls.length === 0),
        started,
      });
    } catch (error) {
      throw atEndpoint(classifyGeminiError(error, this.#options.apiKey, where, this.#options.timeoutMs), {
        url: this.#options.baseUrl ?? GEMINI_DEFAULT_BASE_URL,
        variable: 'GEMINI_BASE_URL',
      });
    }
  }
}
