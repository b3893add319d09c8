import { describe, expect, it } from 'vitest';
import { shownEndpoint } from '../../../scripts/core/endpoint.ts';

describe('shownEndpoint', () => {
  it('shows the scheme, host, port and path of an API root', () => {
    expect(shownEndpoint('https://api.github.com')).toBe('https://api.github.com');
    expect(shownEndpoint('http://127.0.0.1:4010/v1/')).toBe('http://127.0.0.1:4010/v1');
    expect(shownEndpoint('https://ghe.example/api/v3')).toBe('https://ghe.example/api/v3');
  });

  it('never shows a user, password, query or fragment, which may hold a key', () => {
    const shown = shownEndpoint('https://me:sk-secret-value@proxy.example/v1?key=AIzaSecret#token=x'); // aifactory:allow-secret
    expect(shown).toBe('https://proxy.example/v1');
    expect(shown).not.toMatch(/secret|AIza|token|me:/i);
  });

  it('does not repeat a value that is no URL, as it may be a key in the wrong variable', () => {
    expect(shownEndpoint('sk-not-a-url-but-a-key')).toBe('(a value that is not a URL)');
  });
});
