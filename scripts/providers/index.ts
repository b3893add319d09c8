import { resolve } from 'node:path';
import type { ProviderId } from '../core/config.ts';
import { FactoryError } from '../core/errors.ts';
import { GeminiProvider } from './gemini.ts';
import type { Limits } from './limiter.ts';
import { OpenAiCompatibleProvider } from './openai-compatible.ts';
import { ReplayProvider } from './replay.ts';
import type { RetryPolicy } from './retry.ts';
import type { Provider } from './types.ts';

/** Where each provider finds its key and endpoint. */
export const PROVIDER_ENV = {
  openai: { key: 'OPENAI_API_KEY', baseUrl: 'OPENAI_BASE_URL', defaultBaseUrl: undefined },
  xai: { key: 'XAI_API_KEY', baseUrl: 'XAI_BASE_URL', defaultBaseUrl: 'https://api.x.ai/v1' },
  local: { key: 'LOCAL_API_KEY', baseUrl: 'LOCAL_BASE_URL', defaultBaseUrl: 'http://localhost:11434/v1' },
  gemini: { key: 'GEMINI_API_KEY', baseUrl: 'GEMINI_BASE_URL', defaultBaseUrl: undefined },
} as const;

export const DEFAULT_TIMEOUT_MS = 120_000;
export const DEFAULT_LIMITS: Limits = { concurrency: 4, requestsPerMinute: 60 };

export interface ProviderOptions {
  env?: NodeJS.ProcessEnv;
  /** The agent that needs the provider, named in a missing-key error. */
  agent?: string;
  replayDir?: string;
  timeoutMs?: number;
  retry?: RetryPolicy;
  limits?: Limits;
}

/**
 * A provider client. Keys come from the environment only and stay in memory; a missing key is
 * an `auth` error at once, naming the variable and the agent that needs it.
 */
export function createProvider(id: ProviderId, options: ProviderOptions = {}): Provider {
  const env = options.env ?? process.env;
  if (id === 'replay') return new ReplayProvider(resolve(options.replayDir ?? 'examples/replay'));
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
  const baseUrl = env[settings.baseUrl] || settings.defaultBaseUrl;
  const common = {
    timeoutMs: options.timeoutMs ?? (Number(env.AIFACTORY_TIMEOUT_MS) || DEFAULT_TIMEOUT_MS),
    limits: options.limits ?? DEFAULT_LIMITS,
    ...(options.retry ? { retry: options.retry } : {}),
  };
  if (id === 'gemini') return new GeminiProvider({ apiKey, ...(baseUrl ? { baseUrl } : {}), ...common });
  return new OpenAiCompatibleProvider({ id, apiKey, ...(baseUrl ? { baseURL: baseUrl } : {}), ...common });
}
