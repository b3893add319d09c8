// The GitHub client: Octokit with retries and throttling, a write budget per run, errors as FactoryErrors.
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { shownEndpoint } from '../../core/endpoint.ts';
import { FactoryError } from '../../core/errors.ts';
import { limitEnd, stopWrites, writesStoppedUntil } from './write-stop.ts';

/** Octokit with GitHub's own retry and throttling plugins (GITHUB-NOTES.md, "Rate limits"). */
const FactoryOctokit = Octokit.plugin(retry, throttling);
export type GitHubClient = InstanceType<typeof FactoryOctokit>;

/** How many times a rate-limited request is retried before the error reaches the engine. */
const RATE_LIMIT_RETRIES = 3;
/** A primary limit that resets later than this is not waited out: the task pauses for a later run. */
const LONGEST_WAIT_SECONDS = 120;

/** Options of the client; the `throttle` ones exist so tests need not wait real seconds. */
export interface ClientOptions {
  baseUrl: string;
  token: string;
  /** Shared between the author's and the reviewer's clients: writes per run. */
  writes: WriteBudget;
  /** Multiplier of retry-after seconds in milliseconds (default 1000). */
  retryAfterBaseValue?: number;
  /** false turns the plugin's write spacing (1 s, 3 s for notifications) off; tests only. */
  throttle?: boolean;
  /** Per-request timeout in milliseconds (default 30 s). */
  timeoutMs?: number;
}

/**
 * Counts the run's writes (POST/PATCH/PUT/DELETE). GitHub's secondary limits allow about 80
 * content-generating requests a minute and 500 an hour; a run that stops at its budget leaves
 * the task for the next run instead of meeting them.
 */
export class WriteBudget {
  readonly limit: number;
  #used = 0;
  #outside = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  get used(): number {
    return this.#used;
  }

  #turn: Promise<unknown> = Promise.resolve();

  /** Runs `write` once the writes before it have ended, so the run's writes go one at a time. */
  inTurn<T>(write: () => Promise<T>): Promise<T> {
    const turn = this.#turn.then(write);
    this.#turn = turn.catch(() => undefined);
    return turn;
  }

  /** @throws FactoryError (`rate_limit`) past the budget. */
  spend(): void {
    if (this.#outside > 0) return;
    if (this.#used >= this.limit) {
      throw new FactoryError(
        'rate_limit',
        `the GitHub write budget of ${this.limit} per run is reached; the task continues next run`,
      );
    }
    this.#used += 1;
  }

  /**
   * Runs `work` with its writes left out of the budget: the run's state commit, made after its
   * tasks, through the same forge. A run that spent its budget on tasks still records them (a
   * few writes), or an Actions clone, and every record of the run, would be thrown away.
   */
  async outside<T>(work: () => Promise<T>): Promise<T> {
    this.#outside += 1;
    try {
      return await work();
    } finally {
      this.#outside -= 1;
    }
  }
}

/** `fetch` that gives up on an attempt after `ms`, keeping any signal the caller passed. */
function fetchWithTimeout(ms: number): typeof fetch {
  return (input, init) => {
    const timeout = AbortSignal.timeout(ms);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return fetch(input, { ...init, signal });
  };
}

const WRITES = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

/** A GraphQL read (`query …`): a POST that writes nothing, so it spends no write budget. */
function isGraphqlQuery(request: { query?: unknown }): boolean {
  return typeof request.query === 'string' && /^\s*query\b/.test(request.query);
}

/** Builds one identity's client. */
export function createClient(options: ClientOptions): GitHubClient {
  const base = options.retryAfterBaseValue ?? 1000;
  const octokit = new FactoryOctokit({
    auth: options.token,
    baseUrl: options.baseUrl,
    userAgent: 'aifactory-os',
    headers: { 'X-GitHub-Api-Version': '2022-11-28' },
    // Octokit's fetch has no timeout of its own: each attempt gets one, so a hung connection is retried.
    request: { fetch: fetchWithTimeout(options.timeoutMs ?? 30_000) },
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    // 405 (not mergeable), 409 (head moved) and 422 (refused) are answers, not outages.
    retry: { doNotRetry: [400, 401, 403, 404, 405, 409, 410, 422, 451], retryAfterBaseValue: base },
    throttle: {
      enabled: options.throttle ?? true,
      retryAfterBaseValue: base,
      fallbackSecondaryRateRetryAfter: 60,
      onRateLimit: (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) =>
        retryCount < RATE_LIMIT_RETRIES && retryAfter <= LONGEST_WAIT_SECONDS,
      onSecondaryRateLimit: (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) =>
        retryCount < RATE_LIMIT_RETRIES && retryAfter <= LONGEST_WAIT_SECONDS,
    },
  });
  // Registered after the plugins, so it wraps them: it runs once per call, and the retries
  // inside (plugin-retry, throttling) are not counted as more writes. Writes go one at a time
  // (GitHub's advice) even with throttling off, so none is already on its way when a rate limit
  // answers the one before it.
  // Per API root, the connection failure that outlasted the retries: GitHub is out of reach, and
  // every later call fails at once with it instead of waiting through its own retries.
  const outOfReach = new Map<string, object>();
  octokit.hook.wrap('request', (request, endpoint) => {
    const base = endpointBase(endpoint, options.baseUrl);
    const send = async () => {
      const known = outOfReach.get(base);
      if (known) throw known;
      try {
        return await request(endpoint);
      } catch (error) {
        if (isConnectionFailure(error)) {
          UNREACHED.set(error, base);
          outOfReach.set(base, error);
        }
        // A rate limit the throttling plugin would not wait out (or met with throttling off)
        // stops every later write of the process until GitHub's time: each would only meet the
        // limit again, and writing through a secondary limit risks the integration's ban.
        const until = limitEnd(error as HttpError, Date.now());
        if (until !== undefined) stopWrites(options.baseUrl, until);
        throw error;
      }
    };
    if (!WRITES.has(endpoint.method) || isGraphqlQuery(endpoint)) return send();
    return options.writes.inTurn(() => {
      const stopped = writesStoppedUntil(options.baseUrl);
      if (stopped) {
        throw new FactoryError(
          'rate_limit',
          `GitHub's rate limit stopped the factory's writes until ${stopped.toISOString()}, longer than a run waits; no write is made before then, and the task continues in a later run`,
        );
      }
      options.writes.spend();
      return send();
    });
  });
  return octokit;
}

/**
 * The API root each failed connection tried (GITHUB_API_URL, or GITHUB_GRAPHQL_URL for a GraphQL
 * call), so its error names where the factory looked: the error's own URL holds the whole path.
 */
const UNREACHED = new WeakMap<object, string>();

/** The root a request went to: its own absolute URL (GraphQL) or the client's base URL. */
function endpointBase(endpoint: { url?: string; baseUrl?: string }, fallback: string): string {
  if (endpoint.url !== undefined && /^https?:\/\//i.test(endpoint.url)) return endpoint.url;
  return endpoint.baseUrl ?? fallback;
}

/** An error of a call that never got an answer, for a reason other than a timeout (DNS, a refused connection). */
function isConnectionFailure(error: unknown): error is object {
  if (error === null || typeof error !== 'object' || error instanceof FactoryError) return false;
  const e = error as HttpError;
  // Octokit reports a connection that failed as a 500 without a response; no status is a bug of ours.
  if (statusOf(error) === undefined || e.response !== undefined) return false;
  return !/timeout|timed out/i.test(connectionText(e));
}

/** What a failed connection says of itself, its cause included. */
function connectionText(e: HttpError): string {
  return `${e.name ?? ''} ${e.code ?? ''} ${e.message ?? ''} ${String((e as { cause?: unknown }).cause ?? '')}`;
}

interface HttpError {
  request?: { method?: string; url?: string };
  status?: number;
  message?: string;
  code?: string;
  name?: string;
  response?: { headers?: Record<string, string | undefined>; data?: unknown };
}

/**
 * The token permission a REST call needs, from its path, for a 403 that does not say
 * (`x-accepted-github-permissions` is sent only to Apps and fine-grained tokens). Undefined for a
 * path this table does not know.
 */
export function permissionFor(request: { method?: string; url?: string } | undefined): string | undefined {
  const path = new URL(request?.url ?? '/', 'http://x').pathname.replace(
    /^\/(?:api\/v3\/)?repos\/[^/]+\/[^/]+/,
    '',
  );
  if (request?.method === 'PUT' && /^\/pulls\/\d+\/merge$/.test(path)) return 'contents=write';
  const access = request?.method === 'GET' ? 'read' : 'write';
  const table: readonly [RegExp, string][] = [
    [/^\/(?:git|contents|compare|tarball|zipball)\//, 'contents'],
    [/^\/pulls(?:\/|$)/, 'pull_requests'],
    [/^\/issues\//, 'issues'],
    [/^\/(?:statuses\/|commits\/[^/]+\/status$)/, 'statuses'],
    [/^\/(?:check-runs|commits\/[^/]+\/check-runs$)/, 'checks'],
    [/^\/actions\//, 'actions'],
  ];
  const found = table.find(([pattern]) => pattern.test(path));
  return found ? `${found[1]}=${access}` : undefined;
}

/** The longest part of a body that is not GitHub's JSON kept in a message. */
const MAX_TEXT_BODY = 200;

/**
 * A body that is not GitHub's JSON, in one short line: a proxy's or GitHub's front end's HTML
 * error page becomes its title, so no page of markup reaches a run record or a summary.
 */
function textBody(text: string): string {
  const flat = (value: string) =>
    value
      .replace(/<[^>]*>/g, ' ')
      .replace(/[\u0000-\u001f\u007f]+/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, MAX_TEXT_BODY);
  if (!/^\s*</.test(text)) return flat(text) || 'an empty body';
  const title = flat(/<title[^>]*>([\s\S]*?)<\/title>/i.exec(text)?.[1] ?? '');
  return title ? `an HTML page, "${title}"` : 'an HTML page';
}

/** GitHub's message of a refusal, with the `errors` details it sometimes adds. */
export function gitHubMessage(error: unknown): string {
  const e = error as HttpError;
  if (typeof e?.response?.data === 'string') return textBody(e.response.data);
  const data = e.response?.data as { message?: string; errors?: unknown[] } | undefined;
  const details = (data?.errors ?? [])
    .map((item) => (typeof item === 'string' ? item : ((item as { message?: string }).message ?? '')))
    .filter(Boolean);
  const message = data?.message ?? e.message ?? String(error);
  return details.length > 0 ? `${message} (${details.join('; ')})` : message;
}

/** The HTTP status of an octokit error, if it has one. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as HttpError)?.status;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Turns what octokit threw into a FactoryError of the right class: outages and limits are
 * transient (the task pauses), permissions are `auth` naming the permission, refusals are `forge`.
 */
export function toFactoryError(error: unknown, what: string): FactoryError {
  if (error instanceof FactoryError) return error;
  const e = error as HttpError;
  const status = statusOf(error);
  const headers = e.response?.headers ?? {};
  const message = gitHubMessage(error);
  const options = { cause: error };
  // Not from the HTTP layer at all: a bug of ours, not an outage to wait out.
  if (status === undefined && !/AbortError|TimeoutError/.test(e.name ?? '')) {
    return new FactoryError('internal', `${what}: ${message}`, options);
  }
  // Octokit reports a connection that failed or timed out as a 500 without a response.
  if (status === undefined || e.response === undefined) {
    if (/timeout|timed out/i.test(`${connectionText(e)} ${message}`))
      return new FactoryError(
        'timeout',
        `${what}: GitHub did not answer in time; the task continues next run`,
        options,
      );
    const where = UNREACHED.get(error as object);
    return new FactoryError(
      'network',
      `${what}: could not reach GitHub${where ? ` at ${shownEndpoint(where)}` : ''} (${message}): a network outage, or a wrong GITHUB_API_URL; the task continues next run`,
      options,
    );
  }
  if (status >= 500)
    return new FactoryError(
      'server',
      `${what}: GitHub answered ${status} (${message}); the task continues next run`,
      options,
    );
  if (
    status === 429 ||
    (status === 403 && (headers['x-ratelimit-remaining'] === '0' || /rate limit/i.test(message)))
  ) {
    const until = limitEnd(e, Date.now());
    const again =
      until === undefined ? '' : `; GitHub allows requests again at ${new Date(until).toISOString()}`;
    return new FactoryError(
      'rate_limit',
      `${what}: GitHub's rate limit was reached (${message})${again}; the task continues next run`,
      options,
    );
  }
  if (status === 401) {
    return new FactoryError(
      'auth',
      `${what}: GitHub refused the token (401 ${message}); check AIFACTORY_GITHUB_TOKEN / GITHUB_TOKEN`,
      options,
    );
  }
  if (status === 403 && /not permitted to create or approve pull requests/i.test(message)) {
    return new FactoryError(
      'auth',
      `${what}: GitHub refused (403 ${message}); turn on "Allow GitHub Actions to create and approve pull requests" in the repository's Settings → Actions → General, or give the factory an App token (AIFACTORY_GITHUB_TOKEN)`,
      options,
    );
  }
  if (status === 403) {
    const accepted = headers['x-accepted-github-permissions'] ?? permissionFor(e.request);
    const needed = accepted ? ` it needs the "${accepted.replace(/,/g, ' or ')}" permission;` : '';
    return new FactoryError(
      'auth',
      `${what}: GitHub refused (403 ${message});${needed} grant it to the factory's token (workflow "permissions:" or the App's settings)`,
      options,
    );
  }
  return new FactoryError('forge', `${what}: GitHub answered ${status}: ${message}`, options);
}

/** Runs `call`, turning its failure into a FactoryError that says what was being done. */
export async function attempt<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toFactoryError(error, what);
  }
}
