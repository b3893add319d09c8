import { describe, expect, it } from 'vitest';
import { positionAt } from '../../../scripts/core/json-source.ts';

describe('positionAt', () => {
  it('counts lines and columns from 1', () => {
    expect(positionAt('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });
});
