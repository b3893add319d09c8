// The limiter per provider: calls at once, requests and tokens per minute, and the budgets its server reports.
import { setTimeout as delay } from 'node:timers/promises';
import type { ServerBudget, ServerLimits } from './rate-headers.ts';

/** Limits on one provider: calls in flight, calls started and tokens spent per minute. */
export interface Limits {
  concurrency: number;
  /** Absent: no limit of the factory's own (the server's headers are still followed). */
  requestsPerMinute?: number;
  tokensPerMinute?: number;
}

/** Time as the limiter sees it; tests pass a fake one. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const REAL_CLOCK: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(ms, undefined, signal ? { signal } : undefined),
};

/** What one call tells the limiter before it starts and after it ends. */
export interface Admission {
  /** Tokens the request is expected to use (its input, estimated from its size). */
  tokens: number;
}

/** A call's share of the limits, settled when its answer arrives. */
export interface Ticket {
  /** Replaces the estimate with the tokens the server reported, and takes in its rate-limit headers. */
  settle(report: { tokens?: number; server?: ServerLimits }): void;
}

const MINUTE = 60_000;
/** Reset times are rounded by servers; waking a little late costs less than a 429. */
const RESET_MARGIN_MS = 50;

/** A call that started: when, what it is expected (later: reported) to cost, and its start number. */
interface Started {
  at: number;
  tokens: number;
  seq: number;
}

/** A server budget as the limiter keeps it: what is left now, and when it is whole again. */
interface HeldBudget {
  limit: number | undefined;
  remaining: number;
  until: number;
  /** The start number of the call whose response reported it: older reports never overwrite it. */
  seq: number;
}

/**
 * Per-provider limits shared by every agent on that provider in this process: concurrency, a
 * sliding minute of request starts and of tokens (the config's `providers` section), and the
 * budgets the server reports in its `x-ratelimit-*` headers, so that calls wait for a reset
 * before the server would answer 429 rather than after. Calls wait their turn in order. The call
 * layer takes a slot for one HTTP request at a time, so a call sleeping on a retry back-off
 * holds none.
 */
export class Limiter {
  readonly #limits: Limits;
  readonly #clock: Clock;
  readonly #starts: number[] = [];
  readonly #spent: Started[] = [];
  readonly #waiting: (() => void)[] = [];
  readonly #server: { requests?: HeldBudget; tokens?: HeldBudget } = {};
  /** Start numbers of calls in flight, to tell which of them a server's report already counted. */
  readonly #inFlight = new Set<number>();
  #active = 0;
  #seq = 0;
  /** What the last settled call cost: the next is expected to cost as much (output included). */
  #lastTokens = 0;

  constructor(limits: Limits, clock: Clock = REAL_CLOCK) {
    this.#limits = limits;
    this.#clock = clock;
  }

  /**
   * Runs `work` in a slot, once the limits allow a call of `admission.tokens`. `work` gets the
   * ticket to settle with what the server reported. An abort of `signal` while waiting leaves the
   * queue and rejects with its reason.
   */
  async run<T>(
    work: (ticket: Ticket) => Promise<T>,
    signal?: AbortSignal,
    admission: Admission = { tokens: 0 },
  ): Promise<T> {
    const spent = await this.#acquire(signal, admission.tokens);
    const { seq } = spent;
    const ticket: Ticket = {
      settle: (report) => {
        if (report.tokens !== undefined) {
          spent.tokens = report.tokens;
          this.#lastTokens = report.tokens;
        }
        if (report.server) this.#observe(report.server, seq);
      },
    };
    try {
      return await work(ticket);
    } finally {
      this.#inFlight.delete(seq);
      this.#release();
    }
  }

  /** Milliseconds until a call of `tokens` may start; 0 when it may start now. */
  waitMs(tokens: number): number {
    const now = this.#clock.now();
    while (this.#starts.length > 0 && now - this.#starts[0]! >= MINUTE) this.#starts.shift();
    while (this.#spent.length > 0 && now - this.#spent[0]!.at >= MINUTE) this.#spent.shift();
    let wait = 0;
    const rpm = this.#limits.requestsPerMinute;
    if (rpm !== undefined && this.#starts.length >= rpm) wait = this.#starts[0]! + MINUTE - now;
    const tpm = this.#limits.tokensPerMinute;
    if (tpm !== undefined && this.#spent.length > 0) {
      // The oldest spending leaves the window first; wait until enough has left for this call.
      let total = this.#spent.reduce((sum, entry) => sum + entry.tokens, 0) + Math.min(tokens, tpm);
      for (const entry of this.#spent) {
        if (total <= tpm) break;
        total -= entry.tokens;
        wait = Math.max(wait, entry.at + MINUTE - now);
      }
    }
    for (const [kind, need] of [
      ['requests', 1],
      ['tokens', tokens],
    ] as const) {
      const held = this.#budget(kind, now);
      if (held && held.remaining < Math.min(need, held.limit ?? need))
        wait = Math.max(wait, held.until - now + RESET_MARGIN_MS);
    }
    return Math.max(0, wait);
  }

  /** A server budget still in force at `now`; one past its reset is whole again, so it is forgotten until the next report. */
  #budget(kind: 'requests' | 'tokens', now: number): HeldBudget | undefined {
    const held = this.#server[kind];
    if (held && now >= held.until) delete this.#server[kind];
    return this.#server[kind];
  }

  #take(kind: 'requests' | 'tokens', amount: number): void {
    const held = this.#server[kind];
    if (held) held.remaining -= amount;
  }

  /**
   * Takes in a server's report. Calls still in flight may not have reached the server when it
   * counted (requests overtake each other on the way), so each is taken off again: the budget is
   * never overstated, and the next report corrects any understatement.
   */
  #observe(server: ServerLimits, seq: number): void {
    const now = this.#clock.now();
    const others = this.#inFlight.size - 1;
    for (const kind of ['requests', 'tokens'] as const) {
      const reported: ServerBudget | undefined = server[kind];
      const held = this.#server[kind];
      if (!reported || (held && held.seq > seq && now < held.until)) continue;
      const pending = kind === 'requests' ? others : 0;
      this.#server[kind] = {
        limit: reported.limit,
        remaining: reported.remaining - pending,
        until: now + reported.resetMs,
        seq,
      };
    }
  }

  #release(): void {
    this.#active -= 1;
    this.#waiting.shift()?.();
  }

  /** Counts a call as started, in the same turn as the check that let it start. */
  #start(tokens: number): Started {
    const spent = { at: this.#clock.now(), tokens, seq: ++this.#seq };
    this.#inFlight.add(spent.seq);
    this.#starts.push(spent.at);
    this.#spent.push(spent);
    this.#take('requests', 1);
    this.#take('tokens', tokens);
    return spent;
  }

  /** Waits for a slot and for the rates to allow the call; its entry in the minute's spending. */
  async #acquire(signal: AbortSignal | undefined, estimate: number): Promise<Started> {
    signal?.throwIfAborted();
    while (this.#active >= this.#limits.concurrency) await this.#slotFreed(signal);
    this.#active += 1;
    try {
      for (;;) {
        // What calls cost lately is known only now, after the wait for a slot.
        const expected = Math.max(estimate, this.#lastTokens);
        const wait = this.waitMs(expected);
        if (wait <= 0) return this.#start(expected);
        await this.#clock.sleep(wait, signal);
      }
    } catch (error) {
      this.#release();
      throw signal?.reason ?? error;
    }
  }

  #slotFreed(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const wake = (): void => {
        signal?.removeEventListener('abort', leave);
        resolve();
      };
      const leave = (): void => {
        const index = this.#waiting.indexOf(wake);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(signal?.reason);
      };
      this.#waiting.push(wake);
      signal?.addEventListener('abort', leave, { once: true });
    });
  }
}

const shared = new Map<string, Limiter>();

/** The process-wide limiter of a provider; the limits of its first caller hold for the process. */
export function limiterFor(provider: string, limits: Limits): Limiter {
  let limiter = shared.get(provider);
  if (!limiter) {
    limiter = new Limiter(limits);
    shared.set(provider, limiter);
  }
  return limiter;
}
