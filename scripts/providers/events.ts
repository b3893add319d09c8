// Call events in words: a retry after a failed try, or the switch to a fallback model, as a progress line.
import type { CallEvent, CallFailure } from './types.ts';

const WORDS: Partial<Record<CallFailure['class'], string>> = {
  rate_limit: 'rate-limited',
  server: 'had a server error',
  timeout: 'timed out',
  network: 'lost the connection',
  auth: 'refused the key',
  bad_output: 'answered badly',
};

/** "rate-limited (HTTP 429)", "timed out", …: what happened to a try, without the server's words. */
export function describeFailure(failure: CallFailure): string {
  const words = WORDS[failure.class] ?? `failed (${failure.class})`;
  const to = failure.endpoint !== undefined ? ` to ${failure.endpoint}` : '';
  return failure.status !== undefined ? `${words}${to} (HTTP ${failure.status})` : `${words}${to}`;
}

/**
 * The progress line of a call event, e.g.
 * "gpt: openai/gpt-5-mini rate-limited (HTTP 429); retry 2 of 3 in 4.0 s" or
 * "gpt: switching to fallback openai/gpt-4.1-mini after openai/gpt-5-mini timed out" or
 * "gpt: openai/gpt-5-mini: the answer was cut at the output limit of 8192 tokens".
 */
export function describeCallEvent(event: CallEvent): string {
  if (event.kind === 'retry') {
    const seconds = (event.delayMs / 1000).toFixed(1);
    return `${event.agent}: ${event.provider}/${event.model} ${describeFailure(event.failure)}; retry ${event.retry} of ${event.of} in ${seconds} s`;
  }
  if (event.kind === 'warning') return `${event.agent}: ${event.provider}/${event.model}: ${event.warning}`;
  const from = `${event.from.provider}/${event.from.model}`;
  return `${event.agent}: switching to fallback ${event.to.provider}/${event.to.model} after ${from} ${describeFailure(event.failure)}`;
}
