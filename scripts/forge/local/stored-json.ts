/** The local forge's JSON files under the git folder, read through a schema into FactoryErrors. */
import type { z } from 'zod';
import { FactoryError } from '../../core/errors.ts';
import { formatJsonPath } from '../../core/json-source.ts';

/**
 * `text`, the content of `file`, parsed as JSON and checked against `schema`.
 * @throws FactoryError `forge` naming the file, the field when the shape is wrong, and `remedy`:
 * what a person can do about a damaged file.
 */
export function parseStoredJson<T>(text: string, schema: z.ZodType<T>, file: string, remedy: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new FactoryError('forge', `${file} is not valid JSON; ${remedy}`);
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new FactoryError(
    'forge',
    `${file}: field "${formatJsonPath(issue.path)}": ${issue.message}; ${remedy}`,
  );
}
