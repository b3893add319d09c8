import { describe, expect, it } from 'vitest';
import { ConfigSchema, defineConfig } from '../../../scripts/core/config.ts';

describe('defineConfig', () => {
  it('returns the config it is given, and an empty config takes every default', () => {
    const config = defineConfig({ concurrency: 2 });
    expect(config).toEqual({ concurrency: 2 });
    const parsed = ConfigSchema.parse({});
    expect(parsed.protocol.allowed_top_dirs).toEqual([
      'src',
      'docs',
      'tests',
      'examples',
      'grok',
      'gemini',
      'shared/proposals',
    ]);
    expect(parsed.checks.command).toBeUndefined();
  });
});
