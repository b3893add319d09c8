// Loads `aifactory.config.ts` from the repository root and checks it, each error naming the file and field.
import { access, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Config, ConfigSchema } from '../core/config.ts';
import { FactoryError } from '../core/errors.ts';
import { type ConfigIssue, describeIssues } from '../core/security/config-audit.ts';

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

/**
 * A config file that cannot be used. `issues` says which values were refused (empty when the file
 * could not be imported at all), so `security-scan` can point at their lines.
 */
export class ConfigError extends FactoryError {
  readonly file: string;
  readonly issues: readonly ConfigIssue[];

  constructor(file: string, message: string, issues: readonly ConfigIssue[] = []) {
    super('config', message);
    this.file = file;
    this.issues = issues;
  }
}

/** Validates a config value; errors name the file and the field. */
export function parseConfig(value: unknown, file = 'aifactory.config.ts'): Config {
  const input = value ?? {};
  const parsed = ConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = describeIssues(parsed.error.issues, input);
  const lines = issues.map((issue) => `${file}: field "${issue.field}": ${issue.message}`);
  throw new ConfigError(file, lines.join('\n'), issues);
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
    throw new ConfigError(file, `${file}: cannot be loaded: ${reason}`);
  }
  if (module.default === undefined) {
    throw new ConfigError(file, `${file}: has no default export; write "export default defineConfig({…})"`);
  }
  return parseConfig(module.default, file);
}
