/** "1 task", "2 tasks": a count with its noun. */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`;
}

/** `a, b, c`, or the first `shown` of them and `and 4 more`. */
export function listed(items: readonly string[], shown = 3): string {
  return items.length > shown
    ? `${items.slice(0, shown).join(', ')} and ${items.length - shown} more`
    : items.join(', ');
}

/** `text` cut to `max` characters, ending in an ellipsis when it was cut. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, Math.max(0, max - 1))}…` : text;
}

/**
 * Text from a record as the terminal may print it: models and checks wrote it, so control
 * characters (escape sequences that move the cursor, retitle the window or hide text) are shown
 * as `\xNN` and never obeyed. Newlines and tabs stay.
 */
export function printable(text: string): string {
  return text.replace(
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
    (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}
