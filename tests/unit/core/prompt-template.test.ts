import { describe, expect, it } from 'vitest';
import { FactoryError } from '../../../scripts/core/errors.ts';
import { renderTemplate, truncateForPrompt } from '../../../scripts/core/prompt-template.ts';

describe('renderTemplate', () => {
  it('fills every placeholder', () => {
    expect(renderTemplate('p', 'Hi {{ name }}, task {{task_id}}', { name: 'gpt', task_id: 'x' })).toBe(
      'Hi gpt, task x',
    );
  });

  it('names a placeholder without a value and a value without a placeholder', () => {
    expect(() => renderTemplate('p.md', '{{a}} {{b}}', { a: '1' })).toThrow(
      'prompt p.md: no value for {{b}}',
    );
    expect(() => renderTemplate('p.md', '{{a}}', { a: '1', c: '2' })).toThrow(FactoryError);
    expect(() => renderTemplate('p.md', '{{a}}', { a: '1', c: '2' })).toThrow('never uses {{c}}');
  });

  it('truncates long text with a note the model can read', () => {
    expect(truncateForPrompt('abc', 3)).toBe('abc');
    expect(truncateForPrompt('abcdef', 2)).toBe('ab\n[… truncated: showing the first 2 of 6 characters]\n');
  });
});
