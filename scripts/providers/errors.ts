// Provider errors: the HTTP status and retry-after, the error class of a status, keys removed from messages.
import { shownEndpoint } from '../core/endpoint.ts';
import { type ErrorClass, FactoryError } from '../core/errors.ts';
import { looseKeyPattern } from '../core/security/credential-patterns.ts';
import type { ServerLimits } from './rate-headers.ts';

/** A provider failure with what retrying needs: the HTTP status and the server's retry-after. */
export class ProviderError extends FactoryError {
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  /** The rate-limit budgets the server reported with the error, when it sent any. */
  readonly server: ServerLimits | undefined;
  /** The endpoint a request that never got an answer tried (a URL without credentials). */
  readonly endpoint: string | undefined;

  constructor(
    errorClass: ErrorClass,
    message: string,
    options: { status?: number; retryAfterMs?: number; server?: ServerLimits; endpoint?: string } = {},
  ) {
    super(errorClass, message);
    this.name = 'ProviderError';
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.server = options.server;
    this.endpoint = options.endpoint;
  }
}

/** Where a provider sends its requests: its base URL, and the variable that points it elsewhere. */
export interface Endpoint {
  url: string;
  variable: string;
}

/**
 * `error`, when the endpoint was not reached (the network, a timeout), naming the endpoint it
 * tried and the variable that sets it: "lost the connection" alone does not say to what. The URL
 * is shown without a user, password or query, which could hold a key.
 */
export function atEndpoint(error: FactoryError, endpoint: Endpoint): FactoryError {
  if (error.errorClass !== 'network' && error.errorClass !== 'timeout') return error;
  if (error instanceof ProviderError && error.endpoint !== undefined) return error;
  const url = shownEndpoint(endpoint.url);
  const known = error instanceof ProviderError ? error : undefined;
  return new ProviderError(error.errorClass, `${error.message}; endpoint ${url} (${endpoint.variable})`, {
    ...(known?.status !== undefined ? { status: known.status } : {}),
    ...(known?.retryAfterMs !== undefined ? { retryAfterMs: known.retryAfterMs } : {}),
    ...(known?.server !== undefined ? { server: known.server } : {}),
    endpoint: url,
  });
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

/** The user and password of a URL (`https://user:password@host`). */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi;
/** A query parameter whose name says it holds a credential (`?key=…`, `&access_token=…`). */
const SECRET_PARAMS = /([?&](?:key|api[_-]?key|token|access[_-]?token|secret|password)=)[^&#\s]+/gi;

/**
 * Removes the key (and anything that starts like a provider key or a GitHub token) from a message, and the credentials
 * a URL in it may carry: an SDK quotes the URL it refused or failed to reach.
 */
export function redact(message: string, secrets: readonly (string | undefined)[]): string {
  let clean = message;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) clean = clean.split(secret).join('[redacted]');
  }
  return clean
    .replace(KEY_SHAPES, '[redacted]')
    .replace(URL_USERINFO, '$1[redacted]@')
    .replace(SECRET_PARAMS, '$1[redacted]');
}

/** The class and status of a failure, for a progress line. */
export function failureOf(error: unknown): { class: ErrorClass; status?: number; endpoint?: string } {
  if (!(error instanceof FactoryError)) return { class: 'internal' };
  const status = error instanceof ProviderError ? error.status : undefined;
  const endpoint = error instanceof ProviderError ? error.endpoint : undefined;
  return {
    class: error.errorClass,
    ...(status !== undefined ? { status } : {}),
    ...(endpoint !== undefined ? { endpoint } : {}),
  };
}

/** "60 s", "1.5 s", "250 ms": a limit as a person reads it. */
export function seconds(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  return `${Number((ms / 1000).toFixed(1))} s`;
}
