// Error classes and `FactoryError`: what failed, so the engine retries, falls back, pauses or stops. Pure.
import { z } from 'zod';

/**
 * Every error the factory records carries one of these classes, so the engine can decide
 * what to do (retry, fall back, stop) without parsing messages.
 */
export const ERROR_CLASSES = [
  'auth',
  'rate_limit',
  'server',
  'timeout',
  'network',
  /** Another writer moved a branch between the factory's read and its write, again after one retry. */
  'race',
  'bad_output',
  'protocol',
  'forge',
  'budget',
  'checks',
  'config',
  'dependency',
  'control_plane',
  'internal',
] as const;

export type ErrorClass = (typeof ERROR_CLASSES)[number];

export const ErrorInfoSchema = z.strictObject({
  class: z.enum(ERROR_CLASSES),
  message: z.string(),
});

/** The serialisable form of an error, as stored in run records. */
export type ErrorInfo = z.infer<typeof ErrorInfoSchema>;

/** An error with a class. Messages say what happened, where, and what to do; they never hold a key. */
export class FactoryError extends Error {
  readonly errorClass: ErrorClass;

  constructor(errorClass: ErrorClass, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FactoryError';
    this.errorClass = errorClass;
  }

  toInfo(): ErrorInfo {
    return { class: this.errorClass, message: this.message };
  }
}

/** Turns anything thrown into an ErrorInfo; unknown throwables become `internal`. */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof FactoryError) return error.toInfo();
  if (error instanceof Error) return { class: 'internal', message: error.message };
  return { class: 'internal', message: String(error) };
}

/**
 * Classes of errors that say nothing about the task: an outage, a rate limit, a dropped
 * connection, a branch another writer keeps moving. A step that meets one pauses the task for a later run instead of failing it.
 */
export const TRANSIENT_CLASSES: ReadonlySet<ErrorClass> = new Set([
  'rate_limit',
  'server',
  'timeout',
  'network',
  'race',
]);

/** True when `error` is a FactoryError of a transient class. */
export function isTransient(error: unknown): boolean {
  return error instanceof FactoryError && TRANSIENT_CLASSES.has(error.errorClass);
}

/**
 * True when `error` should pause a task rather than fail it: an outage (transient), or a refused
 * token or missing permission (`auth`) — the set-up is wrong, not the task, and the task goes on
 * once a person fixes it.
 */
export function pausesTask(error: unknown): boolean {
  return isTransient(error) || (error instanceof FactoryError && error.errorClass === 'auth');
}
