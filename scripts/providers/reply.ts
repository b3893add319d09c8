// A provider's reply made safe: input token bounds, checked usage and model name, flood limits, tool calls.
import { ProviderError } from './errors.ts';
import type {
  ChatMessage,
  GenerateRequest,
  GenerateResult,
  ProviderReply,
  ProviderRequest,
  ToolCall,
} from './types.ts';

/** Everything of a message that is sent: its text, and the tool calls or the call it answers. */
function messageText(message: ChatMessage): string {
  const calls = message.toolCalls ? JSON.stringify(message.toolCalls) : '';
  return message.content + calls + (message.toolCallId ?? '') + (message.toolName ?? '');
}

/** Tokens of a request, estimated at four characters per token. */
export function estimateInputTokens(request: Pick<GenerateRequest, 'system' | 'messages'>): number {
  const chars =
    request.system.length + request.messages.reduce((sum, message) => sum + messageText(message).length, 0);
  return Math.ceil(chars / 4);
}

/** Tokens a server may add around each message it bills (role markers, separators). */
const FRAMING_TOKENS_PER_MESSAGE = 16;
/** Tokens a server may add once per request (the reply's start, a system preamble). */
const FRAMING_TOKENS = 1024;
/**
 * The longest repair instruction, in bytes: structured output's second turn says what was wrong
 * with the first answer, cut to this length, so the turn's input is known before the call.
 */
export const REPAIR_REASON_CHARS = 400;
/** What the repair turn adds to the input besides the first answer: two messages and their text. */
export const REPAIR_TURN_TOKENS = 2 * FRAMING_TOKENS_PER_MESSAGE + 4 * REPAIR_REASON_CHARS + 256;

/**
 * The most input tokens a request can honestly be billed for: a tokenizer never makes more tokens
 * than bytes (every token stands for at least one byte), so the bytes of everything sent (the
 * schema too) plus room for message framing. The budget reserves this much before the call, and a
 * server that reports more is charged this much, so a reservation always covers the charge.
 */
export function inputTokenBound(request: Pick<GenerateRequest, 'system' | 'messages'>, extra = ''): number {
  const bytes =
    Buffer.byteLength(request.system) +
    Buffer.byteLength(extra) +
    request.messages.reduce((sum, message) => sum + Buffer.byteLength(messageText(message)), 0);
  return bytes + FRAMING_TOKENS_PER_MESSAGE * (request.messages.length + 1) + FRAMING_TOKENS;
}

/**
 * The input bound of structured output's repair turn: the first request's, the first answer
 * (billed as it was produced, at most the output limit), and the repair instruction.
 */
export function repairInputBound(firstBound: number, maxOutputTokens: number): number {
  return firstBound + maxOutputTokens + REPAIR_TURN_TOKENS;
}

/**
 * The JSON Schema text a request sends besides its messages (structured output's schema, the
 * tools' declarations); it counts toward the billed input.
 */
export function schemaTextOf(request: Pick<ProviderRequest, 'schema' | 'tools'>): string {
  const schema = request.schema ? JSON.stringify(request.schema.jsonSchema) : '';
  return schema + (request.tools ? JSON.stringify(request.tools) : '');
}

/** A reported count as a whole number within `max`; `fallback` when it is missing, negative or not finite. */
function count(value: unknown, max: number, fallback: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return fallback;
  return Math.min(Math.ceil(value), max);
}

const MODEL_NAME = /^[A-Za-z0-9][\w.:/@+-]{0,99}$/;

/**
 * What a server reported, made safe to price and record. Token counts become whole non-negative
 * numbers no larger than the request allows (input: `inputBound`, the budget's worst case; output:
 * the maximum it asked for); a missing or nonsensical count is charged at that worst case. A model
 * name that is not a plain identifier (newlines, markup, kilobytes of text) becomes the requested model.
 */
export function checkReply(
  reply: ProviderReply,
  request: Pick<ProviderRequest, 'model'> & { maxOutputTokens: number },
  inputBound: number,
): Omit<GenerateResult, 'json'> {
  const warnings = [...(reply.warnings ?? [])];
  const reported = reply.usage.inputTokens;
  const inputTokens = count(reported, inputBound, inputBound);
  const outputTokens = count(reply.usage.outputTokens, request.maxOutputTokens, request.maxOutputTokens);
  if (!usable(reported) || !usable(reply.usage.outputTokens)) {
    warnings.push('the server reported no usable token counts; the call is charged at its worst case');
  } else if (reported > inputBound) {
    warnings.push(
      `the server reported ${reported} input tokens, more than can be billed; charged ${inputBound}`,
    );
  }
  const cachedInputTokens = cachedOf(reply.usage.cachedInputTokens, reported, inputTokens, warnings);
  const named = typeof reply.model === 'string' && MODEL_NAME.test(reply.model);
  const model = named ? (reply.model as string) : request.model;
  if (named && !sameModel(model, request.model)) {
    warnings.push(`asked for ${request.model}, the server answered with ${model}`);
  }
  if (reply.finishReason === 'length') {
    warnings.push(`the answer was cut at the output limit of ${request.maxOutputTokens} tokens`);
  }
  return {
    text: reply.text,
    usage: { inputTokens, outputTokens, cachedInputTokens },
    model,
    finishReason: reply.finishReason,
    ...(reply.toolCalls && reply.toolCalls.length > 0 ? { toolCalls: reply.toolCalls } : {}),
    latencyMs: reply.latencyMs,
    warnings,
  };
}

const usable = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0;

/**
 * The cached part of the input as it may be priced: a whole number no larger than the input
 * charged. A count the server cannot have meant (more than the input it reported, or any count
 * beside an input it did not report) is refused: the input is then priced whole, never cheaper.
 */
function cachedOf(cached: unknown, reported: unknown, charged: number, warnings: string[]): number {
  if (cached === undefined || cached === null) return 0;
  if (!usable(cached) || !usable(reported) || cached > reported) {
    warnings.push(
      `the server reported ${String(cached).slice(0, 40)} cached input tokens of ${String(reported).slice(0, 40)}; none are priced as cached`,
    );
    return 0;
  }
  return Math.min(Math.ceil(cached), charged);
}

/** Whether a reported model is the requested one or a dated snapshot of it (`gpt-5-mini-2025-08-07`). */
function sameModel(reported: string, requested: string): boolean {
  const bare = (name: string) => name.replace(/^models\//, '');
  return bare(reported) === bare(requested) || bare(reported).startsWith(`${bare(requested)}-`);
}

/**
 * The longest text an answer of `maxOutputTokens` tokens can be (no token is 32 characters long
 * on average); a server that streams more is flooding, and the provider stops reading.
 */
export function answerCharLimit(maxOutputTokens: number | undefined): number {
  return (maxOutputTokens ?? 65_536) * 32 + 4096;
}

/** `text` with `piece` added; a flood past `answerCharLimit` is `bad_output` and ends the reading. */
export function appendAnswer(text: string, piece: unknown, request: ProviderRequest, where: string): string {
  const longer = typeof piece === 'string' ? text + piece : text;
  checkFlood(longer.length, request, where);
  return longer;
}

/** Throws `bad_output` when an answer of `chars` characters is longer than its output limit allows. */
export function checkFlood(chars: number, request: ProviderRequest, where: string): void {
  const limit = answerCharLimit(request.maxOutputTokens);
  if (chars > limit) {
    throw new ProviderError(
      'bad_output',
      `${where}: the answer passed ${limit} characters, more than ${request.maxOutputTokens ?? 'the'} output tokens can hold; the server is flooding`,
    );
  }
}

/**
 * A provider's reply once the answer is read: a stream that ended without a finish reason was a
 * dropped connection (`network`, retried); an empty answer is `bad_output`.
 */
export function wholeReply(
  where: string,
  answer: Omit<ProviderReply, 'latencyMs'> & { cutShort: boolean; empty: boolean; started: number },
): ProviderReply {
  if (answer.cutShort) throw new ProviderError('network', `${where}: the stream ended early`);
  if (answer.empty) throw new ProviderError('bad_output', `${where}: the answer is empty`);
  return {
    text: answer.text,
    usage: answer.usage,
    model: answer.model,
    finishReason: answer.finishReason,
    ...(answer.toolCalls && answer.toolCalls.length > 0 ? { toolCalls: answer.toolCalls } : {}),
    latencyMs: Math.round(performance.now() - answer.started),
    ...(answer.server ? { server: answer.server } : {}),
    ...(answer.warnings && answer.warnings.length > 0 ? { warnings: answer.warnings } : {}),
  };
}

/**
 * The tool calls of a streamed OpenAI answer, assembled from their deltas (each names its call by
 * `index`; the first piece brings the id and name, later ones more of the arguments). Every piece
 * counts toward the answer's flood limit, with the text.
 */
export class ToolCallAssembler {
  readonly #calls = new Map<number, { id: string; name: string; arguments: string }>();
  #chars = 0;

  add(
    delta: {
      index?: number;
      id?: string | null;
      function?: { name?: string | null; arguments?: string | null };
    },
    request: ProviderRequest,
    where: string,
    textChars: number,
  ): void {
    const index = typeof delta.index === 'number' ? delta.index : this.#calls.size;
    const call = this.#calls.get(index) ?? { id: '', name: '', arguments: '' };
    const piece = (delta.function?.name ?? '') + (delta.function?.arguments ?? '');
    this.#chars += piece.length;
    checkFlood(this.#chars + textChars, request, where);
    if (delta.id) call.id = delta.id;
    call.name += delta.function?.name ?? '';
    call.arguments += delta.function?.arguments ?? '';
    this.#calls.set(index, call);
  }

  /** The calls in index order; one without an id gets one from its place. */
  calls(): ToolCall[] {
    return [...this.#calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, call]) => ({
        id: call.id || `call_${index}`,
        name: call.name,
        arguments: call.arguments,
      }));
  }
}
