import { describe, expect, it } from 'vitest';
import { ConfigSchema, DEFAULT_PROVIDER_LIMITS, providerLimits } from '../../../scripts/core/config.ts';

describe('the providers section of the config', () => {
  it('defaults to no overrides, leaving each provider its documented limits', () => {
    const config = ConfigSchema.parse({});
    expect(config.providers).toEqual({});
    expect(providerLimits(config.providers, 'openai')).toEqual(DEFAULT_PROVIDER_LIMITS.openai);
    expect(providerLimits(config.providers, 'local')).toEqual({ concurrency: 4 });
  });

  it('overrides a provider field by field', () => {
    const config = ConfigSchema.parse({ providers: { gemini: { requests_per_minute: 5 } } });
    expect(providerLimits(config.providers, 'gemini')).toEqual({ concurrency: 4, requests_per_minute: 5 });
    expect(providerLimits(config.providers, 'xai')).toEqual(DEFAULT_PROVIDER_LIMITS.xai);
  });

  it('keeps a default when a config written in code spells the field out as undefined', () => {
    const config = ConfigSchema.parse({
      providers: { openai: { concurrency: undefined, tokens_per_minute: 9000 } },
    });
    expect(providerLimits(config.providers, 'openai')).toEqual({
      ...DEFAULT_PROVIDER_LIMITS.openai,
      tokens_per_minute: 9000,
    });
    expect(providerLimits(config.providers, 'openai').concurrency).toBe(8);
  });

  it('refuses an unknown provider, an unknown field and a limit that is not a positive whole number', () => {
    const paths = (input: unknown) => {
      const parsed = ConfigSchema.safeParse(input);
      return parsed.success ? [] : parsed.error.issues.map((issue) => issue.path.join('.'));
    };
    expect(paths({ providers: { anthropic: { concurrency: 2 } } })).toEqual(['providers']);
    expect(paths({ providers: { openai: { rpm: 100 } } })).toEqual(['providers.openai']);
    expect(paths({ providers: { openai: { concurrency: 0 } } })).toEqual(['providers.openai.concurrency']);
    expect(paths({ providers: { xai: { requests_per_minute: 1.5 } } })).toEqual([
      'providers.xai.requests_per_minute',
    ]);
    expect(paths({ providers: { local: { tokens_per_minute: -1 } } })).toEqual([
      'providers.local.tokens_per_minute',
    ]);
    expect(paths({ providers: { replay: {} } })).toEqual(['providers']);
  });
});
