import { FactoryError } from '../core/errors.ts';
import type { SelfChecks } from './github/self-checks.ts';
import type { GitHubForgeOptions } from './github.ts';
import type { LocalForgeOptions } from './local.ts';
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
  /** The github forge's commits are left for GitHub to sign (config `github.signed_commits`). */
  signedCommits?: boolean;
}

/** What a caller may tune in the github forge. */
export type GitHubTuning = Partial<Pick<GitHubForgeOptions, 'client' | 'writeBudget' | 'committer'>>;

/**
 * The factory runs `checks.command` itself on GitHub when its pushes start no workflow: inside
 * GitHub Actions, writing with GITHUB_TOKEN (no AIFACTORY_GITHUB_TOKEN), by GitHub's rule that
 * events caused by GITHUB_TOKEN start no workflow run.
 */
function selfChecks(options: CreateForgeOptions): { selfChecks?: SelfChecks } {
  const env = options.env ?? process.env;
  const command = options.checks?.command;
  if (!command || env.GITHUB_ACTIONS !== 'true' || env.AIFACTORY_GITHUB_TOKEN) return {};
  const sandbox = options.checks?.sandbox;
  return {
    selfChecks: {
      command,
      timeoutSeconds: options.checks?.timeoutSeconds ?? 600,
      ...(sandbox ? { sandbox } : {}),
    },
  };
}

/**
 * Builds the forge a run asked for, so the engine never imports one directly (STYLE.md 1). Each
 * forge is loaded only when asked for: octokit alone takes a good part of a second to load, and
 * commands such as `status` never need it.
 * @throws FactoryError (`config`) when the github forge's environment is incomplete, naming the variable.
 */
export async function createForge(kind: ForgeKind, options: CreateForgeOptions): Promise<Forge> {
  if (kind === 'local') return (await import('./local.ts')).createLocalForge(options);
  if (kind === 'github') {
    const [{ createGitHubForge }, { githubConfigFromEnv }] = await Promise.all([
      import('./github.ts'),
      import('./github/config.ts'),
    ]);
    return createGitHubForge({
      ...githubConfigFromEnv(options.env ?? process.env),
      defaultBranch: options.defaultBranch,
      checkout: options.root,
      ...selfChecks(options),
      ...(options.signedCommits ? { signedCommits: true } : {}),
      ...options.github,
    });
  }
  throw new FactoryError('config', `unknown forge "${String(kind)}"; use --forge local or --forge github`);
}
