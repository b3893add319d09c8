import { describe, expect, it } from 'vitest';
import { stableStringify } from '../../../scripts/core/stable-json.ts';

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
