// `aifactory init`: puts the factory on an existing repository, never overwriting a person's file.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { detectProject } from '../init/detect.ts';
import { GITIGNORE_LINES, gitignoreText, initFiles } from '../init/files.ts';
import { findConfigFile } from '../io/config-loader.ts';

interface InitOptions {
  testCommand?: string;
  local?: string;
  force?: boolean;
  dryRun?: boolean;
}

/** A test command for the config and a workflow's `run:`: one line, no Actions expression. */
function testCommand(value: string): string {
  if (!value.trim() || /[\r\n\0]/.test(value) || value.includes('${{')) {
    throw new InvalidArgumentError('give one line of shell, without "${{" (GitHub would expand it)');
  }
  return value.trim();
}

/** A local server's base URL: http or https, as the OpenAI SDK takes it. */
function baseUrl(value: string): string {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (!url || !/^https?:$/.test(url.protocol)) {
    throw new InvalidArgumentError('give the server\'s http(s) URL, e.g. "http://localhost:11434/v1"');
  }
  return value;
}

/** What a file's write comes to: new, replaced (--force), appended to, the same, or kept. */
type Outcome = 'create' | 'overwrite' | 'update' | 'same' | 'keep';

const NEXT_STEPS = `
Next steps:
  1. Secrets (Settings → Secrets and variables → Actions): the key of each agent you use
     (OPENAI_API_KEY, GEMINI_API_KEY, XAI_API_KEY); optionally AIFACTORY_APP_ID and
     AIFACTORY_APP_PRIVATE_KEY, a GitHub App whose pull requests start your CI.
  2. Repository settings: Actions → General → Workflow permissions: allow GitHub Actions to create
     and approve pull requests.
  3. Pages: Settings → Pages → Source: GitHub Actions, for the dashboard.
  4. Try it locally: npx aifactory validate, then npx aifactory run --once --forge local.
  5. Commit the new files through a pull request.`;

/** `aifactory init [--test-command …] [--local <url>] [--force] [--dry-run]`. */
export function registerInit(program: Command): void {
  program
    .command('init')
    .description(
      'Add the factory to this repository: config, an example task, workflows and .gitignore lines.',
    )
    .option(
      '--test-command <command>',
      "the product's checks (default: found from package.json, pytest, go or cargo files)",
      testCommand,
    )
    .option(
      '--local <base-url>',
      'every agent on this local OpenAI-compatible server, nothing sent to a cloud',
      baseUrl,
    )
    .option('--force', 'overwrite files that exist and differ')
    .option('--dry-run', 'list what would be written, and write nothing')
    .addHelpText(
      'after',
      '\nExit codes: 0 done (or nothing to do), 1 a file was kept that differs, 2 bad usage.',
    )
    .action(async (options: InitOptions) => {
      const root = process.cwd();
      const detected = await detectProject(root);
      const project = options.testCommand
        ? { ...detected, testCommand: options.testCommand, checksNeedNetwork: false }
        : detected;
      const existingConfig = await findConfigFile(root);
      const files = initFiles({
        project,
        env: process.env,
        ...(existingConfig ? { existingConfig } : {}),
        ...(options.local ? { localBaseUrl: options.local } : {}),
      });
      const outcomes: [string, Outcome][] = [];
      for (const [path, content] of Object.entries(files)) {
        const current = await readFile(join(root, path), 'utf8').catch(() => undefined);
        const outcome: Outcome =
          current === undefined
            ? 'create'
            : current === content
              ? 'same'
              : options.force
                ? 'overwrite'
                : 'keep';
        outcomes.push([path, outcome]);
        if (!options.dryRun && (outcome === 'create' || outcome === 'overwrite')) {
          await mkdir(dirname(join(root, path)), { recursive: true });
          await writeFile(join(root, path), content);
        }
      }
      const ignore = gitignoreText(await readFile(join(root, '.gitignore'), 'utf8').catch(() => undefined));
      outcomes.push(['.gitignore', ignore === undefined ? 'same' : 'update']);
      if (ignore !== undefined && !options.dryRun) await writeFile(join(root, '.gitignore'), ignore);
      report(outcomes, project.testCommand, options.dryRun === true);
      process.exitCode = outcomes.some(([, outcome]) => outcome === 'keep') ? 1 : 0;
    });
}

const VERBS: Record<Outcome, [now: string, dry: string]> = {
  create: ['wrote', 'would write'],
  overwrite: ['overwrote', 'would overwrite'],
  update: [`added ${GITIGNORE_LINES.join(' ')} to`, `would add ${GITIGNORE_LINES.join(' ')} to`],
  same: ['', ''],
  keep: ['kept', 'would keep'],
};

function report(outcomes: readonly [string, Outcome][], test: string | undefined, dryRun: boolean): void {
  const changed = outcomes.filter(([, outcome]) => outcome !== 'same');
  if (changed.length === 0) {
    console.log('✓ nothing to do: the factory is already set up here');
    return;
  }
  for (const [path, outcome] of changed) {
    const verb = VERBS[outcome][dryRun ? 1 : 0];
    const why = outcome === 'keep' ? ' (it exists and differs; --force overwrites it)' : '';
    console.log(`${outcome === 'keep' ? '!' : '✓'} ${verb} ${path}${why}`);
  }
  console.log(
    test
      ? `Checks: ${test}`
      : 'Checks: none found; set checks.command in aifactory.config.ts (or pass --test-command)',
  );
  if (!dryRun) console.log(NEXT_STEPS);
}
