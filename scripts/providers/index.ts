// Builds a model client: the provider with its key and endpoint from the environment, behind the call layer.
import { resolve } from 'node:path';
import {
  type MaxOutputTokens,
  type ProviderId,
  type ProvidersConfig,
  providerLimits,
} from '../core/config.ts';
import { FactoryError } from '../core/errors.ts';
import { CallLayer } from './call-layer.ts';
import type { GeminiOptions } from './gemini.ts';
import { Limiter, type Limits, limiterFor } from './limiter.ts';
import type { OpenAiCompatibleOptions } from './openai-compatible.ts';
import { ReplayProvider } from './replay.ts';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.ts';
import type { ModelClient, Provider } from './types.ts';

/** Where each provider finds its key and endpoint. */
export const PROVIDER_ENV = {
  openai: { key: 'OPENAI_API_KEY', baseUrl: 'OPENAI_BASE_URL', defaultBaseUrl: undefined },
  xai: { key: 'XAI_API_KEY', baseUrl: 'XAI_BASE_URL', defaultBaseUrl: 'https://api.x.ai/v1' },
  local: { key: 'LOCAL_API_KEY', baseUrl: 'LOCAL_BASE_URL', defaultBaseUrl: 'http://localhost:11434/v1' },
  gemini: { key: 'GEMINI_API_KEY', baseUrl: 'GEMINI_BASE_URL', defaultBaseUrl: undefined },
} as const;

/** A provider's limits as the limiter takes them: its defaults, overridden by the config's `providers` entry. */
export function limitsOf(id: Exclude<ProviderId, 'replay'>, providers: ProvidersConfig = {}): Limits {
  const limits = providerLimits(providers, id);
  return {
    concurrency: limits.concurrency,
    ...(limits.requests_per_minute !== undefined ? { requestsPerMinute: limits.requests_per_minute } : {}),
    ...(limits.tokens_per_minute !== undefined ? { tokensPerMinute: limits.tokens_per_minute } : {}),
  };
}

/** The time limits of model calls. */
export interface CallTimeouts {
  /** One request, until its response (a stream: until it begins). `AIFACTORY_TIMEOUT_MS`. */
  timeoutMs: number;
  /** The longest silence within one request. `AIFACTORY_IDLE_TIMEOUT_MS`. */
  idleTimeoutMs: number;
  /** One agent call in all: every retry and fallback. `AIFACTORY_CALL_DEADLINE_MS`. */
  deadlineMs: number;
}

export const DEFAULT_TIMEOUTS: CallTimeouts = {
  timeoutMs: 120_000,
  idleTimeoutMs: 60_000,
  deadlineMs: 600_000,
};

const TIMEOUT_ENV: Record<keyof CallTimeouts, string> = {
  timeoutMs: 'AIFACTORY_TIMEOUT_MS',
  idleTimeoutMs: 'AIFACTORY_IDLE_TIMEOUT_MS',
  deadlineMs: 'AIFACTORY_CALL_DEADLINE_MS',
};

/**
 * The time limits from the environment, each defaulting when unset.
 * @throws FactoryError `config` naming the variable when one is not a whole number of milliseconds.
 */
export function callTimeouts(env: NodeJS.ProcessEnv = process.env): CallTimeouts {
  const read = (field: keyof CallTimeouts): number => {
    const name = TIMEOUT_ENV[field];
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return DEFAULT_TIMEOUTS[field];
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < 1) {
      throw new FactoryError(
        'config',
        `${name} is "${raw.slice(0, 40)}"; set a whole number of milliseconds of at least 1, or unset it for the default ${DEFAULT_TIMEOUTS[field]}`,
      );
    }
    return value;
  };
  return {
    timeoutMs: read('timeoutMs'),
    idleTimeoutMs: read('idleTimeoutMs'),
    deadlineMs: read('deadlineMs'),
  };
}

export interface ProviderOptions {
  env?: NodeJS.ProcessEnv;
  /** The agent that needs the provider, named in a missing-key error. */
  agent?: string;
  replayDir?: string;
  /** Per request; default from `AIFACTORY_TIMEOUT_MS`. */
  timeoutMs?: number;
  /** Per request; default from `AIFACTORY_IDLE_TIMEOUT_MS`. */
  idleTimeoutMs?: number;
  retry?: RetryPolicy;
  /** Overrides every other source of limits (tests). */
  limits?: Limits;
  /** The config's `providers` section; each provider's defaults fill what it leaves out. */
  providers?: ProvidersConfig;
  /** Output ceilings per role, for requests that name no maximum. */
  maxOutputTokens?: MaxOutputTokens;
}

/** Replay answers from disk: the provider limits would only slow the demo down. */
const UNLIMITED = new Limiter({ concurrency: Number.POSITIVE_INFINITY });

/** The modules of the two kinds of client: Gemini's own API, and every OpenAI-compatible one. */
const loadGemini = () => import('./gemini.ts');
const loadCompatible = () => import('./openai-compatible.ts');

/**
 * A provider's bare client: one HTTP request per `generate`, no retries, no limits. Keys come from
 * the environment only and stay in memory; a missing key is an `auth` error at once, naming the
 * variable and the agent that needs it.
 */
export function createProviderClient(
  id: ProviderId,
  options: ProviderOptions = {},
): { provider: Provider; limiterKey: string } {
  const env = options.env ?? process.env;
  if (id === 'replay') {
    const dir = resolve(options.replayDir ?? 'examples/replay');
    return { provider: new ReplayProvider(dir), limiterKey: `replay:${dir}` };
  }
  const settings = PROVIDER_ENV[id];
  const key = env[settings.key];
  // A local server usually needs no key; the SDK still wants a string.
  const apiKey = key && key.length > 0 ? key : id === 'local' ? 'local' : undefined;
  if (!apiKey) {
    const who = options.agent ? `agent "${options.agent}" (provider ${id})` : `provider ${id}`;
    throw new FactoryError(
      'auth',
      `${who} needs ${settings.key}; set it in the environment (a repository secret under GitHub Actions), or use --replay`,
    );
  }
  const configured = id === 'local' ? options.providers?.local?.base_url : undefined;
  const baseUrl = env[settings.baseUrl] || configured || settings.defaultBaseUrl;
  const timeoutMs = options.timeoutMs ?? callTimeouts(env).timeoutMs;
  const limiterKey = `${id}:${baseUrl ?? ''}`;
  if (id === 'gemini') {
    const gemini: GeminiOptions = { apiKey, ...(baseUrl ? { baseUrl } : {}), timeoutMs };
    return {
      provider: lazyProvider(id, async () => new (await loadGemini()).GeminiProvider(gemini)),
      limiterKey,
    };
  }
  const compatible: OpenAiCompatibleOptions = {
    id,
    apiKey,
    ...(baseUrl ? { baseURL: baseUrl } : {}),
    timeoutMs,
    baseUrlVariable:
      configured && !env[settings.baseUrl] ? 'providers.local.base_url in the config' : settings.baseUrl,
  };
  return {
    provider: lazyProvider(id, async () => new (await loadCompatible()).OpenAiCompatibleProvider(compatible)),
    limiterKey,
  };
}

/**
 * Starts loading the clients of these providers now, so that a run's first calls do not wait for
 * them (they take a quarter of a second to load, and every call slot of the run would wait).
 * A client that fails to load says so on its first call.
 */
export function preloadProviders(ids: Iterable<ProviderId>): void {
  for (const id of new Set(ids)) {
    if (id === 'replay') continue;
    (id === 'gemini' ? loadGemini() : loadCompatible()).catch(() => undefined);
  }
}

/**
 * A provider whose SDK is loaded on its first call: the SDKs take a good part of a second to
 * load, and most commands (and most runs' agents) never call them.
 */
function lazyProvider(id: ProviderId, load: () => Promise<Provider>): Provider {
  let loaded: Promise<Provider> | undefined;
  return {
    id,
    generate: async (request, context) => {
      loaded ??= load();
      return (await loaded).generate(request, context);
    },
  };
}

/**
 * A provider behind the call layer (retries, limits, idle timeout, maximum output, structured
 * output repair, checked usage): what agents call.
 * @throws FactoryError `auth` when the key is missing; `config` when a timeout variable is malformed.
 */
export function createProvider(id: ProviderId, options: ProviderOptions = {}): ModelClient {
  const { provider, limiterKey } = createProviderClient(id, options);
  const env = options.env ?? process.env;
  return new CallLayer(provider, {
    retry: options.retry ?? DEFAULT_RETRY,
    limiter:
      id === 'replay' ? UNLIMITED : limiterFor(limiterKey, options.limits ?? limitsOf(id, options.providers)),
    idleTimeoutMs: options.idleTimeoutMs ?? callTimeouts(env).idleTimeoutMs,
    ...(options.maxOutputTokens ? { maxOutputTokens: options.maxOutputTokens } : {}),
  });
}
