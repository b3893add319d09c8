// The GitHub Actions workflows `aifactory init` writes into a product's repository.

/**
 * The actions the written workflows use, pinned to a full commit as this repository's own
 * workflows pin them (a test keeps both in step), with the version in the comment.
 */
export const PINNED_ACTIONS = {
  checkout: 'actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0',
  setupNode: 'actions/setup-node@a0853c24544627f65ddf259abe73b1d18a591444 # v5.0.0',
  appToken: 'actions/create-github-app-token@df432ceedc7162793a195dd1713ff69aefc7379e # v2.0.6',
  configurePages: 'actions/configure-pages@983d7736d9b0ae728b81ab479565c72886d7745b # v5.0.0',
  uploadPages: 'actions/upload-pages-artifact@56afc609e74202658d3ffba0e8f6dda462b719fa # v3.0.1',
  deployPages: 'actions/deploy-pages@d6db90164ac5ed86f2b6aed7e0febac5b3c0c03e # v4.0.5',
} as const;

/** How the product installs its Node dependencies (the factory among them), by package manager. */
export const INSTALL_COMMANDS = {
  npm: 'npm ci --no-audit --no-fund',
  pnpm: 'corepack enable && pnpm install --frozen-lockfile',
  yarn: 'corepack enable && yarn install --immutable',
  bun: 'npm install -g bun && bun install --frozen-lockfile',
} as const;
export type PackageManager = keyof typeof INSTALL_COMMANDS;

/** What the workflows need to know of the product. */
export interface WorkflowInputs {
  packageManager: PackageManager;
  /**
   * The product's own checks, run on every pull request with the runner's toolchains (and its
   * dependencies installed first when it has any); none: no checks job.
   */
  testCommand?: string;
  /** The product's pinned Node version file (`.nvmrc`, `.node-version`), for its checks. */
  nodeVersionFile?: string;
}

/** The factory runs on Node 24, whatever the product's checks use. */
const FACTORY_NODE = `      - uses: ${PINNED_ACTIONS.setupNode}
        with:
          node-version: 24`;

function checkout(extra = ''): string {
  return `      - uses: ${PINNED_ACTIONS.checkout}
        with:
          persist-credentials: false${extra}`;
}

/** The product's pinned Node (its version file), set up before `comment`'s step; none: nothing. */
function productNode(inputs: WorkflowInputs, comment = ''): string {
  return inputs.nodeVersionFile
    ? `${comment}      - uses: ${PINNED_ACTIONS.setupNode}
        with:
          node-version-file: ${inputs.nodeVersionFile}
`
    : '';
}

function install(inputs: WorkflowInputs): string {
  return `      - run: ${INSTALL_COMMANDS[inputs.packageManager]}`;
}

/** The factory: pending tasks to agents, pull requests through the API, on a schedule and on demand. */
export function factoryWorkflow(inputs: WorkflowInputs): string {
  return `name: aifactory

# Hands every pending task in tasks/ to its agent, opens, reviews and merges the pull requests
# through the GitHub API, and commits shared/runs/ and shared/status/ once per run.
on:
  schedule:
    # Off the hour: GitHub delays runs at the top of the hour the most.
    - cron: "17 */2 * * *"
  workflow_dispatch:
  push:
    branches: [main]
    paths:
      - tasks/**

permissions:
  contents: read

# A run in progress is never cancelled; every run takes all pending tasks.
concurrency:
  group: aifactory-writes
  cancel-in-progress: false

jobs:
  run:
    name: Run the factory
    runs-on: ubuntu-latest
    timeout-minutes: 55
    permissions:
      contents: write
      pull-requests: write
      statuses: write
      checks: read
      actions: read
      issues: write
    steps:
${checkout()}
${productNode(inputs, "      # The product's Node, for the checks agents run; the factory's goes first on the PATH.\n")}${FACTORY_NODE}
      - id: app
        name: Is a GitHub App configured?
        env:
          APP_ID: \${{ secrets.AIFACTORY_APP_ID }}
        run: |
          if [ -n "$APP_ID" ]; then echo "configured=true" >> "$GITHUB_OUTPUT"; else echo "configured=false" >> "$GITHUB_OUTPUT"; fi
      # Pull requests made with the App's token start CI; GITHUB_TOKEN's start nothing.
      - id: app-token
        if: \${{ steps.app.outputs.configured == 'true' }}
        uses: ${PINNED_ACTIONS.appToken}
        with:
          app-id: \${{ secrets.AIFACTORY_APP_ID }}
          private-key: \${{ secrets.AIFACTORY_APP_PRIVATE_KEY }}
${install(inputs)}
      - name: Run the factory
        env:
          AIFACTORY_GITHUB_TOKEN: \${{ steps.app-token.outputs.token }}
          GITHUB_TOKEN: \${{ github.token }}
          GEMINI_API_KEY: \${{ secrets.GEMINI_API_KEY }}
          XAI_API_KEY: \${{ secrets.XAI_API_KEY }}
          OPENAI_API_KEY: \${{ secrets.OPENAI_API_KEY }}
        run: npx aifactory run --once --forge github
`;
}

/** The dashboard: built from the installed package against shared/status/, deployed to Pages. */
export function pagesWorkflow(inputs: WorkflowInputs): string {
  return `name: aifactory-pages

# Builds the factory's dashboard from shared/status/ and deploys it to GitHub Pages after each
# factory run (its snapshot commits, made with GITHUB_TOKEN, start no push workflow).
on:
  workflow_run:
    workflows: [aifactory]
    types: [completed]
  workflow_dispatch:

permissions:
  contents: read

concurrency:
  group: aifactory-pages
  cancel-in-progress: false

jobs:
  build:
    runs-on: ubuntu-latest
    timeout-minutes: 15
    steps:
${checkout()}
${FACTORY_NODE}
      - id: pages
        uses: ${PINNED_ACTIONS.configurePages}
${install(inputs)}
      - name: Build the dashboard
        env:
          SITE_URL: \${{ steps.pages.outputs.origin }}
          BASE_PATH: \${{ steps.pages.outputs.base_path }}
        run: npx aifactory site build --out dist --base "$BASE_PATH/"
      - uses: ${PINNED_ACTIONS.uploadPages}
        with:
          path: dist

  deploy:
    needs: build
    runs-on: ubuntu-latest
    timeout-minutes: 10
    permissions:
      pages: write
      id-token: write
    environment:
      name: github-pages
      url: \${{ steps.deployment.outputs.page_url }}
    steps:
      - id: deployment
        uses: ${PINNED_ACTIONS.deployPages}
`;
}

/**
 * Pull requests: task files validated, the factory's security scan, and the product's own checks
 * in the product's own toolchain. No secret and a read-only token: agents' code runs here.
 */
export function pullRequestWorkflow(inputs: WorkflowInputs): string {
  const checks = inputs.testCommand
    ? `
  checks:
    name: The product's checks
    runs-on: ubuntu-latest
    timeout-minutes: 30
    steps:
${checkout()}
${productNode(inputs)}      - run: ${JSON.stringify(inputs.testCommand)}
`
    : '';
  return `name: aifactory-tasks

# Pull requests only, never pull_request_target: the token is read-only and no secret is passed,
# so code under review reaches no key.
on:
  pull_request:

permissions:
  contents: read

concurrency:
  group: aifactory-tasks-\${{ github.event.pull_request.number }}
  cancel-in-progress: true

jobs:
  validate-tasks:
    name: Validate task files
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
${checkout()}
${FACTORY_NODE}
${install(inputs)}
      - run: npx aifactory validate
      - name: Security scan
        run: npx aifactory security-scan
${checks}`;
}

/** Every workflow `init` writes, by path. */
export function workflowFiles(inputs: WorkflowInputs): Record<string, string> {
  return {
    '.github/workflows/aifactory.yml': factoryWorkflow(inputs),
    '.github/workflows/aifactory-pages.yml': pagesWorkflow(inputs),
    '.github/workflows/aifactory-tasks.yml': pullRequestWorkflow(inputs),
  };
}
