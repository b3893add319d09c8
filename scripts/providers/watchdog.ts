// Time limits on a call: it ends once its signal aborts, or when the server is silent past the idle timeout.
import { FactoryError } from '../core/errors.ts';

/**
 * Settles like `work`, or rejects as soon as `signal` aborts: with the signal's reason when that
 * is a FactoryError (a deadline or an idle timeout says which limit it was), else with
 * `cancelled()`. Whatever `work` does afterwards is ignored, so a client that does not honour the
 * signal can never hold its caller.
 */
export function untilAborted<T>(
  work: Promise<T>,
  signal: AbortSignal | undefined,
  cancelled: () => Error,
): Promise<T> {
  if (!signal) return work;
  const reason = (): Error => (signal.reason instanceof FactoryError ? signal.reason : cancelled());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(reason());
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(signal.aborted ? reason() : error);
      },
    );
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `work` with a signal that aborts when `idleMs` pass without a call to `touch` (the work
 * calls it whenever data arrives), or when `signal` aborts. In the first case it rejects at once
 * with `idle()`; a connection that stalls after its headers, or never answers, ends here.
 */
export async function withIdleTimeout<T>(
  work: (signal: AbortSignal, touch: () => void) => Promise<T>,
  options: { idleMs: number; signal?: AbortSignal; idle: () => FactoryError; cancelled: () => Error },
): Promise<T> {
  const idle = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, idle.signal]) : idle.signal;
  let timer: NodeJS.Timeout | undefined;
  let done = false;
  const touch = (): void => {
    if (done) return;
    clearTimeout(timer);
    timer = setTimeout(() => idle.abort(options.idle()), options.idleMs);
  };
  touch();
  try {
    return await untilAborted(
      Promise.resolve().then(() => work(signal, touch)),
      signal,
      options.cancelled,
    );
  } finally {
    done = true;
    clearTimeout(timer);
  }
}
