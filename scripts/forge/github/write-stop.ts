/** When GitHub told this process to stop writing (a rate limit longer than a run waits), per API root. */

/** The longest stop honoured: GitHub's limits reset within the hour, and a later write would meet the limit again. */
const LONGEST_STOP_MS = 3_600_000;
/** GitHub's advice when a rate-limit answer names no time: wait at least a minute. */
const UNNAMED_STOP_MS = 60_000;

/**
 * Kept for the whole process, not per forge: the run's last commit of its state uses a forge of
 * its own, and `watch` runs again in the same process; neither may write before GitHub allows it.
 */
const stops = new Map<string, number>();

/** The headers and status of a refusal, as octokit reports them. */
export interface LimitAnswer {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | number | undefined> };
}

/**
 * When GitHub allows requests again after `answer`, in epoch milliseconds, if it is a rate-limit
 * refusal (403 or 429 with `retry-after`, a secondary-limit message, or `x-ratelimit-remaining: 0`);
 * undefined for any other answer. A time GitHub does not name, or names badly, is a minute from
 * `now`; a time further than an hour away is an hour away.
 */
export function limitEnd(answer: LimitAnswer, now: number): number | undefined {
  if (answer.status !== 403 && answer.status !== 429) return undefined;
  const headers = answer.response?.headers ?? {};
  const retryAfter = String(headers['retry-after'] ?? '').trim();
  const remaining = String(headers['x-ratelimit-remaining'] ?? '');
  const reset = String(headers['x-ratelimit-reset'] ?? '');
  const limited =
    retryAfter !== '' ||
    remaining === '0' ||
    answer.status === 429 ||
    /rate limit/i.test(answer.message ?? '');
  if (!limited) return undefined;
  let end = now + UNNAMED_STOP_MS;
  if (/^\d+$/.test(retryAfter)) end = now + Number(retryAfter) * 1000;
  else if (remaining === '0' && /^\d+$/.test(reset)) end = Number(reset) * 1000;
  return Math.min(Math.max(end, now), now + LONGEST_STOP_MS);
}

/** Stops writes to `apiUrl` until `until` (epoch ms); an earlier stop already in place is kept if it ends later. */
export function stopWrites(apiUrl: string, until: number): void {
  stops.set(apiUrl, Math.max(until, stops.get(apiUrl) ?? 0));
}

/** Until when writes to `apiUrl` are stopped, or undefined when they may go on at `now`. */
export function writesStoppedUntil(apiUrl: string, now = Date.now()): Date | undefined {
  const until = stops.get(apiUrl);
  if (until === undefined) return undefined;
  if (until <= now) {
    stops.delete(apiUrl);
    return undefined;
  }
  return new Date(until);
}

/** Forgets the stop of `apiUrl`: for a server that is not the one that answered (a test's fixture on a reused port). */
export function forgetWriteStop(apiUrl: string): void {
  stops.delete(apiUrl);
}
