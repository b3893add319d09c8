import { describe, expect, it } from 'vitest';
import { closestMatch, editDistance } from '../../../scripts/core/suggest.ts';

describe('closestMatch', () => {
  it('measures edit distance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'ab')).toBe(2);
  });

  it('suggests only close candidates', () => {
    expect(closestMatch('asignee', ['assignee', 'reviewer'])).toBe('assignee');
    expect(closestMatch('zzzzzz', ['assignee'])).toBeUndefined();
  });
});
