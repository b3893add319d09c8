// Prompt templates: `{{placeholders}}` filled, a missing or unused value refused, long text truncated. Pure.
import { FactoryError } from './errors.ts';

const PLACEHOLDER = /\{\{\s*([a-z_]+)\s*\}\}/g;

/**
 * Fills `{{name}}` placeholders. A placeholder without a value, or a value without a placeholder,
 * is a config error naming the template, so a typo in a prompt file never reaches a model.
 */
export function renderTemplate(
  name: string,
  template: string,
  values: Readonly<Record<string, string>>,
): string {
  const used = new Set<string>();
  const missing = new Set<string>();
  const text = template.replace(PLACEHOLDER, (_match, key: string) => {
    used.add(key);
    const value = values[key];
    if (value === undefined) missing.add(key);
    return value ?? '';
  });
  if (missing.size > 0) {
    throw new FactoryError('config', `prompt ${name}: no value for {{${[...missing].join('}}, {{')}}}`);
  }
  const unused = Object.keys(values).filter((key) => !used.has(key));
  if (unused.length > 0) {
    throw new FactoryError('config', `prompt ${name}: it never uses {{${unused.join('}}, {{')}}}; add them`);
  }
  return text;
}

/** Cuts `text` to `limit` characters, saying so in a line the model can read. */
export function truncateForPrompt(text: string, limit: number): string {
  if (text.length <= limit) return text;
  return `${text.slice(0, limit)}\n[… truncated: showing the first ${limit} of ${text.length} characters]\n`;
}
