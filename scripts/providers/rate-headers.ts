/** What a server said about one of its limits in a response: the limit, what is left, and when it is whole again. */
export interface ServerBudget {
  limit?: number;
  remaining: number;
  /** Milliseconds from the response until the budget is back to `limit`. */
  resetMs: number;
}

/** The rate-limit state a server reported with one response. */
export interface ServerLimits {
  requests?: ServerBudget;
  tokens?: ServerBudget;
}

const UNITS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/**
 * A reset time as OpenAI-compatible servers write it: a duration such as `1s`, `6m0s`, `59.5s`,
 * `20ms` or `1h2m3s`, or a bare number of seconds. Anything else is `undefined`.
 */
export function parseResetMs(value: string | null | undefined): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  if (!/^(\d+(\.\d+)?(h|ms|m|s))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)) {
    total += Number(amount) * UNITS[unit!]!;
  }
  return total;
}

function count(value: string | null): number | undefined {
  if (value === null || !/^\s*\d+\s*$/.test(value)) return undefined;
  return Number(value);
}

function budget(headers: { get(name: string): string | null }, kind: string): ServerBudget | undefined {
  const remaining = count(headers.get(`x-ratelimit-remaining-${kind}`));
  const resetMs = parseResetMs(headers.get(`x-ratelimit-reset-${kind}`));
  if (remaining === undefined || resetMs === undefined) return undefined;
  const limit = count(headers.get(`x-ratelimit-limit-${kind}`));
  return { ...(limit !== undefined ? { limit } : {}), remaining, resetMs };
}

/**
 * The `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` headers of an OpenAI-compatible
 * response (OpenAI, xAI, many local servers). A server's headers are untrusted: a malformed value
 * is ignored, never guessed at. `undefined` when the response carried none.
 */
export function serverLimits(
  headers: { get(name: string): string | null } | undefined,
): ServerLimits | undefined {
  if (!headers) return undefined;
  const requests = budget(headers, 'requests');
  const tokens = budget(headers, 'tokens');
  if (!requests && !tokens) return undefined;
  return { ...(requests ? { requests } : {}), ...(tokens ? { tokens } : {}) };
}
