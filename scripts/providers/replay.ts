// The replay provider: answers from recorded cassettes in examples/replay/, with no network and no key.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { MODEL_ROLES } from '../core/config.ts';
import { FactoryError } from '../core/errors.ts';
import { ProviderError } from './errors.ts';
import type { CallContext, Provider, ProviderReply, ProviderRequest } from './types.ts';

/**
 * A cassette: recorded answers for one task (`examples/replay/<task_id>.json` by convention).
 * An entry answers the call of `role` in `iteration` of `task_id`; a later iteration without an
 * entry of its own gets the last recorded one. A recorded session has one entry per `turn` (the
 * model's answers within the iteration, from 1), each with its `tool_calls`; a turn past the
 * last recorded one gets the last.
 */
export const CassetteSchema = z.strictObject({
  version: z.literal(1),
  entries: z.array(
    z.strictObject({
      task_id: z.string().min(1),
      role: z.enum(MODEL_ROLES),
      iteration: z.int().positive(),
      model: z.string().min(1).optional(),
      turn: z.int().positive().optional(),
      text: z.string(),
      tool_calls: z
        .array(z.strictObject({ name: z.string().min(1), arguments: z.record(z.string(), z.unknown()) }))
        .optional(),
      usage: z.strictObject({ input: z.int().nonnegative(), output: z.int().nonnegative() }),
    }),
  ),
});
export type Cassette = z.infer<typeof CassetteSchema>;
type Entry = Cassette['entries'][number];

/** Reads every cassette in `dir`; a broken one is a config error naming the file and field. */
export function loadCassettes(dir: string): Entry[] {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((name) => name.endsWith('.json'))
      .sort();
  } catch {
    throw new FactoryError('config', `replay: no cassette folder at ${dir}`);
  }
  return names.flatMap((name) => {
    const file = join(dir, name);
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new FactoryError('config', `replay: ${name} is not valid JSON (${(error as Error).message})`);
    }
    const parsed = CassetteSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new FactoryError('config', `replay: ${name}: field "${issue.path.join('.')}": ${issue.message}`);
    }
    return parsed.data.entries;
  });
}

/**
 * Answers from recorded cassettes: no network, no key, the same answer every time. Like any
 * provider it sits below the call layer, which checks structured answers against their schema.
 */
export class ReplayProvider implements Provider {
  readonly id = 'replay' as const;
  readonly #dir: string;
  #entries: Entry[] | undefined;

  constructor(dir: string) {
    this.#dir = dir;
  }

  async generate(request: ProviderRequest, context: CallContext): Promise<ProviderReply> {
    this.#entries ??= loadCassettes(this.#dir);
    const { taskId, role, iteration } = context;
    const turn = request.messages.filter((message) => message.role === 'assistant').length + 1;
    const candidates = this.#entries
      .filter(
        (entry) =>
          entry.task_id === taskId &&
          entry.role === role &&
          entry.iteration <= iteration &&
          (entry.turn ?? 1) <= turn,
      )
      .sort((a, b) => b.iteration - a.iteration || (b.turn ?? 1) - (a.turn ?? 1));
    const entry = candidates[0];
    if (!entry) {
      throw new ProviderError(
        'bad_output',
        `replay: no recorded ${role} answer for task ${taskId} (iteration ${iteration}) in ${this.#dir}`,
      );
    }
    const toolCalls = (request.tools ? (entry.tool_calls ?? []) : []).map((call, index) => ({
      id: `call_${turn}_${index}`,
      name: call.name,
      arguments: call.arguments,
    }));
    return {
      text: entry.text,
      usage: { inputTokens: entry.usage.input, outputTokens: entry.usage.output },
      model: entry.model ?? request.model,
      finishReason: toolCalls.length > 0 ? 'tool_calls' : 'stop',
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
      latencyMs: 0,
    };
  }
}
