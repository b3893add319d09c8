// The run's call slots: how many agent calls are made at once, a free slot going to the task that started first.
import { FactoryError } from '../../core/errors.ts';
import type { CallAgent } from '../types.ts';

/**
 * The run's agent calls at once (`concurrency`). The run keeps more tasks open than it has
 * slots, so that one task's git and pull-request steps overlap another task's call instead of
 * delaying it. A free slot goes to the waiting task that started first: the plan starts tasks in
 * priority order, and a task under way finishes before later ones take its turn.
 */
export class CallSlots {
  #free: number;
  /** Waiting calls, by the rank of their task (lower first; equal ranks in order of arrival). */
  readonly #waiting: { rank: number; grant: () => void }[] = [];

  constructor(size: number) {
    this.#free = size;
  }

  /**
   * `call`, for the task ranked `rank`, made only while it holds a slot. The slot is given back
   * when the model has answered (`onAnswered`), or when the call ends without an answer.
   */
  wrap(call: CallAgent, rank: number): CallAgent {
    return async (agent, request) => {
      await this.#acquire(rank, request.signal, agent.name);
      let held = true;
      const release = () => {
        if (!held) return;
        held = false;
        this.#release();
      };
      try {
        return await call(agent, {
          ...request,
          onAnswered: () => {
            release();
            request.onAnswered?.();
          },
        });
      } finally {
        release();
      }
    };
  }

  #acquire(rank: number, signal: AbortSignal | undefined, agent: string): Promise<void> {
    if (this.#free > 0) {
      this.#free -= 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        rank,
        grant: () => {
          signal?.removeEventListener('abort', abandon);
          resolve();
        },
      };
      // A run told to stop starts no call it was still waiting to make.
      const abandon = () => {
        this.#waiting.splice(this.#waiting.indexOf(waiter), 1);
        reject(new FactoryError('timeout', `${agent}: the call was cancelled`));
      };
      const after = this.#waiting.findIndex((other) => other.rank > rank);
      this.#waiting.splice(after === -1 ? this.#waiting.length : after, 0, waiter);
      if (signal?.aborted) abandon();
      else signal?.addEventListener('abort', abandon, { once: true });
    });
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next.grant();
    else this.#free += 1;
  }
}
