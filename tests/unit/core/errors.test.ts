import { describe, expect, it } from 'vitest';
import { FactoryError, pausesTask, toErrorInfo } from '../../../scripts/core/errors.ts';

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
