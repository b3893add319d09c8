import type { z } from 'zod';
import type { ProviderId } from '../core/config.ts';

/** One message of a conversation. The system prompt travels separately. */
export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

/** Who is asking, so replay cassettes and the budget ledger can attribute the call. */
export interface CallContext {
  taskId: string;
  agent: string;
  role: 'coder' | 'reviewer' | 'planner';
  iteration: number;
}

/** One request to a model. */
export interface GenerateRequest {
  model: string;
  system: string;
  messages: readonly ChatMessage[];
  /** When given, the provider asks for structured output and returns the parsed value in `json`. */
  schema?: { name: string; zod: z.ZodType };
  maxOutputTokens?: number;
  /**
   * Read the answer as a stream (server-sent events), so long answers keep the connection busy
   * instead of idling into a proxy's timeout. The result is the same whole answer.
   */
  stream?: boolean;
  temperature?: number;
  signal?: AbortSignal;
  context: CallContext;
}

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'other';

/** A normalised answer: the same shape whichever SDK produced it. */
export interface GenerateResult {
  text: string;
  /** The parsed structured output, when `schema` was given. */
  json?: unknown;
  usage: { inputTokens: number; outputTokens: number };
  /** The model id the provider reports as having answered. */
  model: string;
  finishReason: FinishReason;
  latencyMs: number;
}

/**
 * The seam every LLM client implements. Failures throw a FactoryError whose class is one of
 * `auth`, `rate_limit`, `server`, `timeout`, `network`, `bad_output`; messages never hold a key.
 */
export interface Provider {
  readonly id: ProviderId;
  generate(request: GenerateRequest): Promise<GenerateResult>;
}
