// Structured output: the answer parsed and checked against its schema, with one repair turn when it fails.
import { z } from 'zod';
import { ProviderError } from './errors.ts';
import { REPAIR_REASON_CHARS } from './reply.ts';
import type { ChatMessage, GenerateRequest, GenerateResult, StructuredOutput } from './types.ts';

/**
 * Structured output for a request: the zod schema that checks the answer and its JSON Schema,
 * converted here once for the whole call (every retry, repair and fallback sends the same).
 */
export function structuredOutput(name: string, zod: z.ZodType): StructuredOutput {
  return { name, zod, jsonSchema: z.toJSONSchema(zod) as Record<string, unknown> };
}

/** Parses and validates structured output; the reason says what is wrong, for the repair turn. */
export function parseStructured(
  text: string,
  schema: z.ZodType,
): { ok: true; value: unknown } | { ok: false; reason: string } {
  const trimmed = text
    .trim()
    .replace(/^```(?:json)?\s*\n?/, '')
    .replace(/\n?```$/, '');
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (error) {
    return { ok: false, reason: `not JSON (${(error as Error).message})` };
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { ok: false, reason: `field "${issue.path.join('.') || '(root)'}": ${issue.message}` };
}

/**
 * Runs a call; when a schema was asked for and the answer does not match it, asks once more
 * with the reason (one repair turn), then gives up with `bad_output`.
 */
export async function generateWithRepair(
  request: GenerateRequest,
  call: (messages: readonly ChatMessage[]) => Promise<GenerateResult>,
  provider: string,
): Promise<GenerateResult> {
  const first = await call(request.messages);
  if (!request.schema) return first;
  const parsed = parseStructured(first.text, request.schema.zod);
  if (parsed.ok) return { ...first, json: parsed.value };
  const repair: ChatMessage[] = [
    ...request.messages,
    { role: 'assistant', content: first.text },
    {
      role: 'user',
      // Cut, so the turn's input is bounded before the call (the budget reserved it).
      content: `That answer does not match the required JSON schema: ${parsed.reason.slice(0, REPAIR_REASON_CHARS)}. Answer again with the JSON object only.`,
    },
  ];
  const second = await call(repair);
  const usage = {
    inputTokens: first.usage.inputTokens + second.usage.inputTokens,
    outputTokens: first.usage.outputTokens + second.usage.outputTokens,
    cachedInputTokens: (first.usage.cachedInputTokens ?? 0) + (second.usage.cachedInputTokens ?? 0),
  };
  const reparsed = parseStructured(second.text, request.schema.zod);
  if (reparsed.ok)
    return {
      ...second,
      usage,
      latencyMs: first.latencyMs + second.latencyMs,
      json: reparsed.value,
      warnings: [...first.warnings, ...second.warnings],
    };
  throw new ProviderError(
    'bad_output',
    `${provider} ${request.model}: the ${request.schema.name} answer is invalid after one repair (${reparsed.reason})`,
  );
}
