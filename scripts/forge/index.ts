// Builds the run's forge, local or github, each loaded only when asked for, and how checks reach GitHub heads.
import { FactoryError } from '../core/errors.ts';
import type { GitHubForgeOptions } from './github/forge.ts';
import type { SelfChecks } from './github/self-checks.ts';
import type { LocalForgeOptions } from './local/forge.ts';
import type { Forge } from './types.ts';

/** Which forge a run talks to: `local` (real git in the repository) or `github` (the REST API). */
export type ForgeKind = 'local' | 'github';
export const FORGE_KINDS: readonly ForgeKind[] = ['local', 'github'];

/** What either forge may need; each takes what it uses. */
export interface CreateForgeOptions extends LocalForgeOptions {
  /** Where the github forge reads its API roots, repository and tokens (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Knobs of the github forge beyond the environment (its write budget; fast throttling in tests). */
  github?: GitHubTuning | undefined;
  /** The github forge's commits are left for GitHub to sign (config `github.signed_commits`). */
  signedCommits?: boolean;
  /** The config's `checks`; the github forge also reads the fields below. */
  checks?: ForgeChecks;
}

/** The config's `checks` as the forges read them (see `ChecksConfigSchema`): the local forge's, and more. */
export interface ForgeChecks extends NonNullable<LocalForgeOptions['checks']> {
  /** false: the repository has no checks, so a head without any may be merged (github forge). */
  required?: boolean;
  /** The workflow file started with `workflow_dispatch` when the factory's pushes start none. */
  workflow?: string;
  /** Run `command` in the factory's own job instead of dispatching `workflow` (explicit, unsafe). */
  selfRun?: boolean;
}

/** What a caller may tune in the github forge. */
export type GitHubTuning = Partial<Pick<GitHubForgeOptions, 'client' | 'writeBudget' | 'committer'>>;

/**
 * How checks come to the factory's heads on GitHub. With an App or personal token
 * (AIFACTORY_GITHUB_TOKEN), or outside Actions, its pushes start the repository's CI by
 * themselves. Inside Actions with GITHUB_TOKEN alone they start none ("events triggered by the
 * GITHUB_TOKEN … will not create a new workflow run"), so the forge starts `checks.workflow` with
 * `workflow_dispatch`, which GITHUB_TOKEN may trigger; only `checks.self_run` with a command makes
 * the factory run the checks in its own job instead.
 */
function checksOnGitHub(
  options: CreateForgeOptions,
): Pick<GitHubForgeOptions, 'checksExpected' | 'dispatchWorkflow' | 'selfChecks'> {
  const env = options.env ?? process.env;
  const checks = options.checks;
  const command = checks?.command;
  const checksExpected = checks?.required !== false || command !== undefined;
  if (env.GITHUB_ACTIONS !== 'true' || env.AIFACTORY_GITHUB_TOKEN) return { checksExpected };
  if (checks?.selfRun && command) {
    const { timeoutSeconds, sandbox } = checks;
    const selfChecks: SelfChecks = { command, timeoutSeconds, ...(sandbox ? { sandbox } : {}) };
    return { checksExpected, selfChecks };
  }
  return { checksExpected, dispatchWorkflow: checks?.workflow ?? 'ci.yml' };
}

/**
 * Builds the forge a run asked for, so the engine never imports one directly (STYLE.md 1). Each
 * forge is loaded only when asked for: octokit alone takes a good part of a second to load, and
 * commands such as `status` never need it.
 * @throws FactoryError (`config`) when the github forge's environment is incomplete, naming the variable.
 */
export async function createForge(kind: ForgeKind, options: CreateForgeOptions): Promise<Forge> {
  if (kind === 'local') return (await import('./local/forge.ts')).createLocalForge(options);
  if (kind === 'github') {
    const [{ createGitHubForge }, { githubConfigFromEnv }] = await Promise.all([
      import('./github/forge.ts'),
      import('./github/config.ts'),
    ]);
    return createGitHubForge({
      ...githubConfigFromEnv(options.env ?? process.env),
      defaultBranch: options.defaultBranch,
      checkout: options.root,
      ...checksOnGitHub(options),
      ...(options.signedCommits ? { signedCommits: true } : {}),
      ...options.github,
    });
  }
  throw new FactoryError('config', `unknown forge "${String(kind)}"; use --forge local or --forge github`);
}
