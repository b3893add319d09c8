import { describe, expect, it } from 'vitest';
import { ConfigSchema, defineConfig } from '../../../scripts/core/config.ts';
import { FactoryError, pausesTask, toErrorInfo } from '../../../scripts/core/errors.ts';
import { positionAt } from '../../../scripts/core/json-source.ts';
import { stableStringify } from '../../../scripts/core/stable-json.ts';
import { closestMatch, editDistance } from '../../../scripts/core/suggest.ts';

describe('stableStringify', () => {
  it('gives the same bytes whatever the key order, with a trailing newline', () => {
    const a = stableStringify({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } });
    const b = stableStringify({ a: { c: null, d: [{ y: 2, z: 1 }] }, b: 1 });
    expect(a).toBe(b);
    expect(a.endsWith('}\n')).toBe(true);
    expect(a.indexOf('"a"')).toBeLessThan(a.indexOf('"b"'));
  });

  it('drops undefined fields', () => {
    expect(stableStringify({ a: undefined, b: 2 })).toBe('{\n  "b": 2\n}\n');
  });

  it('orders keys by code unit, not by locale', () => {
    expect(stableStringify({ b: 1, a: 2, B: 3 })).toBe('{\n  "B": 3,\n  "a": 2,\n  "b": 1\n}\n');
  });

  it('maps every string value through mapString, in arrays too, and leaves keys and other values', () => {
    const value = { key: 'key', list: ['a', 1, null, { deep: 'b' }], flag: true };
    expect(JSON.parse(stableStringify(value, (text) => text.toUpperCase()))).toEqual({
      key: 'KEY',
      list: ['A', 1, null, { deep: 'B' }],
      flag: true,
    });
  });

  it('keeps a key named "__proto__" as the data it is', () => {
    const value = JSON.parse('{"b":1,"__proto__":{"x":2}}');
    expect(stableStringify(value)).toBe('{\n  "__proto__": {\n    "x": 2\n  },\n  "b": 1\n}\n');
  });
});

describe('toErrorInfo', () => {
  it('keeps the class of a FactoryError', () => {
    expect(toErrorInfo(new FactoryError('rate_limit', 'slow down'))).toEqual({
      class: 'rate_limit',
      message: 'slow down',
    });
  });

  it('classes any other Error and any thrown value as internal', () => {
    expect(toErrorInfo(new Error('boom'))).toEqual({ class: 'internal', message: 'boom' });
    expect(toErrorInfo('text')).toEqual({ class: 'internal', message: 'text' });
  });
});

describe('pausesTask', () => {
  it('pauses on an outage or a refused token, and fails on anything else', () => {
    expect(pausesTask(new FactoryError('server', '502'))).toBe(true);
    expect(pausesTask(new FactoryError('auth', 'needs pull-requests: write'))).toBe(true);
    expect(pausesTask(new FactoryError('forge', 'not found'))).toBe(false);
    expect(pausesTask(new Error('boom'))).toBe(false);
  });
});

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

describe('suggestions and positions', () => {
  it('measures edit distance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'ab')).toBe(2);
  });

  it('suggests only close candidates', () => {
    expect(closestMatch('asignee', ['assignee', 'reviewer'])).toBe('assignee');
    expect(closestMatch('zzzzzz', ['assignee'])).toBeUndefined();
  });

  it('counts lines and columns from 1', () => {
    expect(positionAt('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });
});
