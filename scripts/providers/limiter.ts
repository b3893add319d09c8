import { setTimeout as delay } from 'node:timers/promises';

/** Limits on one provider: calls in flight and calls started per minute. */
export interface Limits {
  concurrency: number;
  requestsPerMinute: number;
}

/**
 * Per-provider concurrency and requests-per-minute limits, shared by every agent on that provider
 * in this process. Calls wait their turn in order. The call layer takes a slot for one HTTP
 * request at a time, so a call sleeping on a retry back-off holds none.
 */
export class Limiter {
  readonly #limits: Limits;
  readonly #starts: number[] = [];
  readonly #waiting: (() => void)[] = [];
  #active = 0;

  constructor(limits: Limits) {
    this.#limits = limits;
  }

  /** Runs `work` in a slot. An abort of `signal` while waiting leaves the queue and rejects with its reason. */
  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.#acquire(signal);
    try {
      return await work();
    } finally {
      this.#release();
    }
  }

  #release(): void {
    this.#active -= 1;
    this.#waiting.shift()?.();
  }

  async #acquire(signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    while (this.#active >= this.#limits.concurrency) await this.#slotFreed(signal);
    this.#active += 1;
    try {
      for (;;) {
        const now = Date.now();
        while (this.#starts.length > 0 && now - this.#starts[0]! >= 60_000) this.#starts.shift();
        if (this.#starts.length < this.#limits.requestsPerMinute) break;
        await delay(60_000 - (now - this.#starts[0]!) + 1, undefined, signal ? { signal } : undefined);
      }
    } catch (error) {
      this.#release();
      throw signal?.reason ?? error;
    }
    this.#starts.push(Date.now());
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

/** The process-wide limiter of a provider. */
export function limiterFor(provider: string, limits: Limits): Limiter {
  let limiter = shared.get(provider);
  if (!limiter) {
    limiter = new Limiter(limits);
    shared.set(provider, limiter);
  }
  return limiter;
}
