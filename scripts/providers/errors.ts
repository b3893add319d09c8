import { type ErrorClass, FactoryError } from '../core/errors.ts';
import { looseKeyPattern } from '../core/security/credential-patterns.ts';
import type { ServerLimits } from './rate-headers.ts';

/** A provider failure with what retrying needs: the HTTP status and the server's retry-after. */
export class ProviderError extends FactoryError {
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  /** The rate-limit budgets the server reported with the error, when it sent any. */
  readonly server: ServerLimits | undefined;

  constructor(
    errorClass: ErrorClass,
    message: string,
    options: { status?: number; retryAfterMs?: number; server?: ServerLimits } = {},
  ) {
    super(errorClass, message);
    this.name = 'ProviderError';
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.server = options.server;
  }
}

/** The error class of an HTTP status. 400/404/422 are `config`: the request itself is wrong. */
export function classOfStatus(status: number): ErrorClass {
  if (status === 401 || status === 403) return 'auth';
  if (status === 429) return 'rate_limit';
  if (status === 408 || status === 504) return 'timeout';
  if (status >= 500) return 'server';
  return 'config';
}

/** `retry-after-ms`, or `retry-after` in seconds or as an HTTP date, in milliseconds. */
export function retryAfterMs(
  headers: { get(name: string): string | null } | undefined,
  now = Date.now(),
): number | undefined {
  if (!headers) return undefined;
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number.parseFloat(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** The scan's key shapes, loosened: a masked or cut key in a server's message is removed too. */
const KEY_SHAPES = looseKeyPattern();

/** Removes the key (and anything that starts like a provider key or a GitHub token) from a message. */
export function redact(message: string, secrets: readonly (string | undefined)[]): string {
  let clean = message;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) clean = clean.split(secret).join('[redacted]');
  }
  return clean.replace(KEY_SHAPES, '[redacted]');
}

/** The class and status of a failure, for a progress line. */
export function failureOf(error: unknown): { class: ErrorClass; status?: number } {
  if (!(error instanceof FactoryError)) return { class: 'internal' };
  const status = error instanceof ProviderError ? error.status : undefined;
  return { class: error.errorClass, ...(status !== undefined ? { status } : {}) };
}

/** "60 s", "1.5 s", "250 ms": a limit as a person reads it. */
export function seconds(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  return `${Number((ms / 1000).toFixed(1))} s`;
}
