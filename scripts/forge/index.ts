import { FactoryError } from '../core/errors.ts';
import { githubConfigFromEnv } from './github/config.ts';
import { createGitHubForge, type GitHubForgeOptions } from './github.ts';
import { createLocalForge, type LocalForgeOptions } from './local.ts';
import type { Forge } from './types.ts';

/** Which forge a run talks to: `local` (real git in the repository) or `github` (the REST API). */
export type ForgeKind = 'local' | 'github';
export const FORGE_KINDS: readonly ForgeKind[] = ['local', 'github'];

/** What either forge may need; each takes what it uses. */
export interface CreateForgeOptions extends LocalForgeOptions {
  /** Where the github forge reads its API roots, repository and tokens (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Knobs of the github forge beyond the environment (its write budget; fast throttling in tests). */
  github?: GitHubTuning;
}

/** What a caller may tune in the github forge. */
export type GitHubTuning = Partial<Pick<GitHubForgeOptions, 'client' | 'writeBudget' | 'committer'>>;

/**
 * Builds the forge a run asked for, so the engine never imports one directly (STYLE.md 1).
 * @throws FactoryError (`config`) when the github forge's environment is incomplete, naming the variable.
 */
export async function createForge(kind: ForgeKind, options: CreateForgeOptions): Promise<Forge> {
  if (kind === 'local') return createLocalForge(options);
  if (kind === 'github') {
    return createGitHubForge({
      ...githubConfigFromEnv(options.env ?? process.env),
      defaultBranch: options.defaultBranch,
      checkout: options.root,
      ...options.github,
    });
  }
  throw new FactoryError('config', `unknown forge "${String(kind)}"; use --forge local or --forge github`);
}
