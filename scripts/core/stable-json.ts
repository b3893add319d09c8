// JSON with sorted keys and a fixed layout, so the same value always gives the same bytes. Pure.
/**
 * JSON with sorted object keys, two-space indent and a trailing newline: the same value always
 * gives the same bytes, so a run with nothing new changes no file and makes no commit. With
 * `mapString`, every string value (object keys aside) is written as it returns, in the same pass:
 * the snapshots are redacted so without a copy of their own.
 */
export function stableStringify(value: unknown, mapString?: (text: string) => string): string {
  return `${JSON.stringify(sortKeys(value, mapString), null, 2)}\n`;
}

function sortKeys(value: unknown, mapString: ((text: string) => string) | undefined): unknown {
  if (typeof value === 'string') return mapString ? mapString(value) : value;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => sortKeys(item, mapString));
  // No prototype, so a key named "__proto__" is an ordinary key, as JSON.parse makes it.
  const sorted: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(value).sort()) {
    const item = (value as Record<string, unknown>)[key];
    if (item !== undefined) sorted[key] = sortKeys(item, mapString);
  }
  return sorted;
}
