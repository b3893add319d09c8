/** An API endpoint as messages may show it: where the factory connected, never a credential. */

/**
 * `url` with what could hold a credential left out: the user and password before the host,
 * the query (`?key=…`) and the fragment. A value that is no URL is not repeated at all, as it may
 * be a key pasted into the wrong variable.
 */
export function shownEndpoint(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(a value that is not a URL)';
  }
  parsed.username = '';
  parsed.password = '';
  parsed.search = '';
  parsed.hash = '';
  return parsed.href.replace(/\/$/, '');
}
