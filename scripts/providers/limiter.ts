import { setTimeout as delay } from 'node:timers/promises';

/** Limits on one provider: calls in flight and calls started per minute. */
export interface Limits {
  concurrency: number;
  requestsPerMinute: number;
}

/**
 * Per-provider concurrency and requests-per-minute limits, shared by every agent on that provider
 * in this process. Calls wait their turn in order.
 */
export class Limiter {
  readonly #limits: Limits;
  readonly #starts: number[] = [];
  readonly #waiting: (() => void)[] = [];
  #active = 0;

  constructor(limits: Limits) {
    this.#limits = limits;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.#acquire();
    try {
      return await work();
    } finally {
      this.#active -= 1;
      this.#waiting.shift()?.();
    }
  }

  async #acquire(): Promise<void> {
    while (this.#active >= this.#limits.concurrency) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    this.#active += 1;
    for (;;) {
      const now = Date.now();
      while (this.#starts.length > 0 && now - this.#starts[0]! >= 60_000) this.#starts.shift();
      if (this.#starts.length < this.#limits.requestsPerMinute) break;
      await delay(60_000 - (now - this.#starts[0]!) + 1);
    }
    this.#starts.push(Date.now());
  }
}

const shared = new Map<string, Limiter>();

/** The process-wide limiter of a provider. */
export function limiterFor(provider: string, limits: Limits): Limiter {
  let limiter = shared.get(provider);
  if (!limiter) {
    limiter = new Limiter(limits);
    shared.set(provider, limiter);
  }
  return limiter;
}
