// The provider seam: requests, messages, tool calls, replies, results; the Provider and ModelClient interfaces.
import type { z } from 'zod';
import type { ModelRole, ProviderId } from '../core/config.ts';
import type { ErrorClass } from '../core/errors.ts';
import type { ServerLimits } from './rate-headers.ts';

/**
 * A function call a model made. `arguments` is as the server sent it: a JSON text (OpenAI) or a
 * parsed object (Gemini); the tools parse and check it, never the provider.
 */
export interface ToolCall {
  /** The server's id of the call (made up from the order when the server sent none). */
  id: string;
  name: string;
  arguments: unknown;
  /**
   * Opaque state the server attached to the call (Gemini's thought signature), sent back with it
   * in the next request as the API requires; never read.
   */
  signature?: string;
}

/**
 * A tool the model may call, as it crosses the provider seam: plain JSON Schema (STYLE.md §1: zod
 * stays above the seam).
 */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/**
 * One message of a conversation. The system prompt travels separately. An assistant message may
 * carry the tool calls it made; a `tool` message is the answer to one of them, paired by
 * `toolCallId` (OpenAI) and `toolName` (Gemini's function responses go by name).
 */
export interface ChatMessage {
  role: 'user' | 'assistant' | 'tool';
  content: string;
  toolCalls?: readonly ToolCall[];
  toolCallId?: string;
  toolName?: string;
}

/** Who is asking, so replay cassettes and the budget ledger can attribute the call. */
export interface CallContext {
  taskId: string;
  agent: string;
  role: ModelRole;
  iteration: number;
}

/** What went wrong with one try, in the words a progress line needs. */
export interface CallFailure {
  class: ErrorClass;
  /** The HTTP status, when the server answered with one. */
  status?: number;
  /** The endpoint tried, when it was not reached (a URL without credentials). */
  endpoint?: string;
}

/**
 * Something worth a progress line while a call is under way: a retry after a failed try, the
 * switch to an agent's next fallback model, or a warning about an answer. `describeCallEvent` words it.
 */
export type CallEvent =
  | {
      kind: 'retry';
      agent: string;
      provider: string;
      model: string;
      failure: CallFailure;
      /** 1 for the first retry. */
      retry: number;
      of: number;
      delayMs: number;
    }
  | {
      kind: 'fallback';
      agent: string;
      from: { provider: string; model: string };
      to: { provider: string; model: string };
      failure: CallFailure;
    }
  | {
      kind: 'warning';
      agent: string;
      provider: string;
      model: string;
      /** What was off about the answer, e.g. "the answer was cut at the output limit". */
      warning: string;
    };

/**
 * Structured output as it crosses the seam: a name and plain JSON Schema. The zod schema stays
 * above the seam, where the call layer checks the answer against it.
 */
export interface JsonSchemaOutput {
  name: string;
  jsonSchema: Record<string, unknown>;
}

/** Structured output above the seam: the zod schema that checks the answer, and its JSON Schema, converted once. */
export interface StructuredOutput extends JsonSchemaOutput {
  zod: z.ZodType;
}

/** What a request to a model holds, above the seam and below it alike. */
interface RequestBase {
  model: string;
  system: string;
  messages: readonly ChatMessage[];
  /**
   * Tools the model may call through the provider's native function calling; the result carries
   * the calls it made in `toolCalls`.
   */
  tools?: readonly ToolSpec[];
  /**
   * The most output tokens the answer may use (reasoning included). The call layer always sends
   * one: this value, else the configured ceiling of the caller's role.
   */
  maxOutputTokens?: number;
  /**
   * Read the answer as a stream (server-sent events), so long answers keep the connection busy
   * instead of idling into a proxy's timeout. The result is the same whole answer.
   */
  stream?: boolean;
  temperature?: number;
  /** Aborts the call: the run is stopping, or the agent call's deadline passed. */
  signal?: AbortSignal;
}

/** One request to a model client (the call layer). */
export interface GenerateRequest extends RequestBase {
  /** When given, the answer must be JSON of this schema; the result carries the parsed value in `json`. */
  schema?: StructuredOutput;
}

/** Who asks, and who is told about retries, fallbacks and warnings: beside the request, not in it. */
export interface CallOptions {
  context: CallContext;
  /** Told about retries, fallbacks and warnings while the call is under way. */
  onEvent?: (event: CallEvent) => void;
}

/** One request as it crosses the seam to a provider: plain data and JSON Schema, no zod. */
export interface ProviderRequest extends RequestBase {
  /** When given, the answer must be JSON of this schema (the call layer checks it). */
  schema?: JsonSchemaOutput;
  /**
   * Called by a provider each time part of the answer arrives (each streamed chunk), so the call
   * layer can tell a slow answer from a dead connection.
   */
  onChunk?: () => void;
}

/**
 * Why the answer ended: `length` means the output limit cut it (OpenAI `length`, Gemini
 * `MAX_TOKENS`), so it is not whole; `tool_calls` means it ended to call tools.
 */
export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls' | 'other';

/**
 * What one HTTP call returned, as the server said it. The server is untrusted: token counts may be
 * missing, negative or absurd and the model name may be anything, so the call layer checks both
 * before anyone prices or records them.
 */
export interface ProviderReply {
  text: string;
  /**
   * Token counts as reported; `undefined` when the server reported none. `cachedInputTokens` is
   * the part of the input the server read from its prompt cache (billed at a lower rate).
   */
  usage: { inputTokens: unknown; outputTokens: unknown; cachedInputTokens?: unknown };
  /** The model id the server reports as having answered, if any. */
  model: unknown;
  finishReason: FinishReason;
  /** The function calls of the answer, in order (several when the model called in parallel). */
  toolCalls?: ToolCall[];
  latencyMs: number;
  /** The rate-limit budgets the server reported with the answer, when it sent any. */
  server?: ServerLimits;
  /** What the provider noticed and left out or changed, e.g. a kind of tool call it does not know. */
  warnings?: string[];
}

/** A normalised answer: the same shape whichever SDK produced it, with usage that can be priced. */
export interface GenerateResult {
  text: string;
  /** The parsed structured output, when `schema` was given. */
  json?: unknown;
  /**
   * Non-negative whole numbers, bounded by the request's size and its maximum output.
   * `cachedInputTokens` is the part of `inputTokens` served from the provider's prompt cache (the
   * call layer always sets it; an answer made up by a tool agent may leave it out).
   */
  usage: { inputTokens: number; outputTokens: number; cachedInputTokens?: number };
  /** The model the server reports as having answered (the requested one when it said nothing usable). */
  model: string;
  finishReason: FinishReason;
  /** The function calls of the answer, when the request offered tools and the model called some. */
  toolCalls?: ToolCall[];
  latencyMs: number;
  /**
   * What was off about the answer, for a person to read: cut at the output limit, answered by
   * another model than asked, usage the server reported that could not be trusted, … Empty when
   * nothing was.
   */
  warnings: string[];
}

/**
 * The seam every LLM client implements: exactly one HTTP call per `generate`, no retries, no
 * limits, no repair (the call layer in `call-layer.ts` adds those once, for every provider).
 * A provider sends `maxOutputTokens` on the wire, honours `signal` and calls `onChunk` for each
 * streamed chunk. The context says who asks; only the replay provider reads it (to find the
 * recorded answer).
 *
 * @throws FactoryError of class `auth`, `rate_limit`, `server`, `timeout`, `network`, `config` or
 * `bad_output` (a `ProviderError` carries the HTTP status and retry-after); messages never hold a key.
 */
export interface Provider {
  readonly id: ProviderId;
  generate(request: ProviderRequest, context: CallContext): Promise<ProviderReply>;
}

/**
 * A provider behind the call layer: what the agents call. `generate` retries what is worth
 * retrying, waits its turn under the provider's limits, gives up on a silent connection after the
 * idle timeout, repairs invalid structured output once, and returns checked usage.
 *
 * @throws FactoryError as `Provider.generate`, after the retries; `timeout` names the limit that was hit.
 */
export interface ModelClient {
  readonly id: ProviderId;
  generate(request: GenerateRequest, call: CallOptions): Promise<GenerateResult>;
}
