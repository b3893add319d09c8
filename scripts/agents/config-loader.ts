import { access, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Config, ConfigSchema } from '../core/config.ts';
import { FactoryError } from '../core/errors.ts';

/** Config file names looked for at the repository root, in order. */
export const CONFIG_FILES = ['aifactory.config.ts', 'aifactory.config.mts', 'aifactory.config.mjs'] as const;

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** The config file at `root`, if there is one. */
export async function findConfigFile(root: string): Promise<string | undefined> {
  for (const name of CONFIG_FILES) {
    if (await exists(join(root, name))) return name;
  }
  return undefined;
}

/** Validates a config value; errors name the file and the field. */
export function parseConfig(value: unknown, file = 'aifactory.config.ts'): Config {
  const parsed = ConfigSchema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const field = issue.path.map(String).join('.') || '(root)';
    return `${file}: field "${field}": ${issue.message}`;
  });
  throw new FactoryError('config', lines.join('\n'));
}

/**
 * Loads `aifactory.config.ts` (default export, usually through `defineConfig`) from `root`;
 * without a config file every field takes its default.
 */
export async function loadConfig(root: string): Promise<Config> {
  const file = await findConfigFile(root);
  if (!file) return parseConfig({});
  let module: { default?: unknown };
  try {
    // The modification time in the URL makes a long-running `watch` see edits to the file.
    const { mtimeMs } = await stat(join(root, file));
    module = (await import(`${pathToFileURL(join(root, file)).href}?mtime=${mtimeMs}`)) as {
      default?: unknown;
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new FactoryError('config', `${file}: cannot be loaded: ${reason}`);
  }
  if (module.default === undefined) {
    throw new FactoryError(
      'config',
      `${file}: has no default export; write "export default defineConfig({…})"`,
    );
  }
  return parseConfig(module.default, file);
}
