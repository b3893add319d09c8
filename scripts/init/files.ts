// The files `aifactory init` writes: the config, an example task, the workflows, .gitignore lines.
import { BUILTIN_AGENTS } from '../agents/registry.ts';
import { taskFileText } from '../commands/new.ts';
import { DEFAULT_CAPS } from '../core/config.ts';
import { PROVIDER_ENV } from '../providers/index.ts';
import type { DetectedProject } from './detect.ts';
import { workflowFiles } from './workflows.ts';

/** The models of a fully local set-up: a coder and a reviewer of another model (another opinion). */
export const LOCAL_MODELS = { coder: 'qwen2.5-coder:7b', reviewer: 'llama3.1:8b' } as const;

/** Lines `init` makes sure `.gitignore` has: installed packages and the factory's machine-local state. */
export const GITIGNORE_LINES = ['node_modules/', '.aifactory/', '.astro/'] as const;

/** What `init` was asked for, and what it found. */
export interface InitInputs {
  project: DetectedProject;
  /** The environment, read only for which keys are set (never their values). */
  env: NodeJS.ProcessEnv;
  /** A local OpenAI-compatible server: every agent on it, nothing sent to a cloud provider. */
  localBaseUrl?: string;
  /** The config file already there, which init compares with rather than writing a second one. */
  existingConfig?: string;
}

/**
 * The config file init writes: the one already there, else `aifactory.config.ts` in an ES module
 * package and `aifactory.config.mts` elsewhere, where a `.ts` file would be read as CommonJS and
 * its `export default` would not load.
 */
export function configFileName(inputs: Pick<InitInputs, 'project' | 'existingConfig'>): string {
  return inputs.existingConfig ?? (inputs.project.esModule ? 'aifactory.config.ts' : 'aifactory.config.mts');
}

/** The built-in agents whose provider's key is set, in the registry's order. */
export function agentsWithKeys(env: NodeJS.ProcessEnv): typeof BUILTIN_AGENTS {
  return BUILTIN_AGENTS.filter((agent) => {
    const provider = agent.provider as keyof typeof PROVIDER_ENV;
    return Boolean(env[PROVIDER_ENV[provider]?.key]?.trim());
  });
}

function checksLines(project: DetectedProject): string[] {
  if (!project.testCommand) {
    return [
      '  // No test command was found: set the one that checks your product, run on each branch.',
      "  // checks: { command: 'npm test' },",
    ];
  }
  const network = project.checksNeedNetwork ? ', network: true' : '';
  return [
    "  // The product's own checks, run on each task's branch in the checks sandbox (no keys)",
    `  // with the Node your project pins (else the node on your PATH) and the python, go or cargo on it.${network ? ' Installing dependencies needs the network.' : ''}`,
    `  checks: { command: ${JSON.stringify(project.testCommand)}${network} },`,
  ];
}

function cloudAgentLines(env: NodeJS.ProcessEnv): string[] {
  const found = agentsWithKeys(env);
  if (found.length === 0) {
    return [
      '  // No provider key was set when init ran. The built-in agents work once their key is set:',
      '  // gpt (OPENAI_API_KEY), gemini-pro (GEMINI_API_KEY), grok-fast (XAI_API_KEY).',
      '  agents: [],',
    ];
  }
  return [
    '  // Agents whose keys were set when init ran; each reviews the others by default.',
    '  agents: [',
    ...found.map(
      (agent) =>
        `    { name: ${JSON.stringify(agent.name)}, provider: ${JSON.stringify(agent.provider)}, model: ${JSON.stringify(agent.model)} },`,
    ),
    '  ],',
  ];
}

function localAgentLines(baseUrl: string): string[] {
  const zero = '{ input_per_mtok: 0, output_per_mtok: 0 }';
  return [
    '  // Fully local: every agent on one OpenAI-compatible server, no fallback to a cloud model,',
    '  // a reviewer of another model (another opinion), and no price.',
    '  agents: [',
    `    { name: 'local-coder', role: 'coder', provider: 'local', model: ${JSON.stringify(LOCAL_MODELS.coder)}, fallbacks: [] },`,
    `    { name: 'local-reviewer', role: 'reviewer', provider: 'local', model: ${JSON.stringify(LOCAL_MODELS.reviewer)}, fallbacks: [] },`,
    '  ],',
    "  default_reviewer: 'local-reviewer',",
    `  providers: { local: { base_url: ${JSON.stringify(baseUrl)} } },`,
    '  prices: {',
    `    ${JSON.stringify(LOCAL_MODELS.coder)}: ${zero},`,
    `    ${JSON.stringify(LOCAL_MODELS.reviewer)}: ${zero},`,
    '  },',
  ];
}

/** `aifactory.config.ts` for the product: agents, caps, checks. */
export function configText(inputs: InitInputs): string {
  return [
    "import { defineConfig } from 'aifactory-os/config';",
    '',
    '// The factory on this repository. Every field is optional; `npx aifactory agents` lists the',
    "// agents, and aifactory-os's docs/configuration.md has every field.",
    'export default defineConfig({',
    ...(inputs.localBaseUrl ? localAgentLines(inputs.localBaseUrl) : cloudAgentLines(inputs.env)),
    '  // Spending caps in US dollars, checked before every model call.',
    `  caps: { per_task_usd: ${DEFAULT_CAPS.per_task_usd}, daily_usd: ${DEFAULT_CAPS.daily_usd} },`,
    ...checksLines(inputs.project),
    '});',
    '',
  ].join('\n');
}

/** The assignee of the example task: the local coder, else the first agent with a key, else gpt. */
function exampleAssignee(inputs: InitInputs): string {
  if (inputs.localBaseUrl) return 'local-coder';
  return agentsWithKeys(inputs.env)[0]?.name ?? 'gpt';
}

/** Every file `init` writes, by path (`.gitignore` aside, which it appends to). */
export function initFiles(inputs: InitInputs): Record<string, string> {
  return {
    [configFileName(inputs)]: configText(inputs),
    'tasks/example-docs.json': taskFileText({
      $schema: '../node_modules/aifactory-os/tasks/task.schema.json',
      task_id: 'example-docs',
      title: 'Describe the project in docs/overview.md',
      description:
        'Read the repository and write docs/overview.md: what the project does, how to install it and how to run its tests.',
      assignee: exampleAssignee(inputs),
      files: ['docs/overview.md'],
    }),
    ...workflowFiles({
      packageManager: inputs.project.packageManager,
      ...(inputs.project.testCommand ? { testCommand: inputs.project.testCommand } : {}),
      ...(inputs.project.nodeVersionFile ? { nodeVersionFile: inputs.project.nodeVersionFile } : {}),
    }),
  };
}

/** `.gitignore`'s new text with GITIGNORE_LINES it lacks appended, or undefined when it has them all. */
export function gitignoreText(current: string | undefined): string | undefined {
  const have = new Set((current ?? '').split('\n').map((line) => line.trim()));
  const missing = GITIGNORE_LINES.filter(
    (line) => !have.has(line) && !have.has(line.replace(/\/$/, '')) && !have.has(`/${line}`),
  );
  if (missing.length === 0) return undefined;
  const head =
    current === undefined || current === '' ? '' : current.endsWith('\n') ? current : `${current}\n`;
  return `${head}# aifactory\n${missing.join('\n')}\n`;
}
