// `aifactory agents`: the registry after plugins and config overrides, or with `--status` what each agent does.
import type { Command } from 'commander';
import { loadRegistry } from '../agents/registry.ts';
import { type Agent, grantedAreas } from '../agents/types.ts';
import type { Caps } from '../core/config.ts';
import { capsLine, formatUsd } from '../core/money.ts';
import { type AgentStatus, type AgentStatusFile, describeAgentState } from '../core/status/agent-status.ts';
import { currentAgentStatus } from '../engine/report/snapshot-writer.ts';
import { loadConfig } from '../io/config-loader.ts';
import { renderTable } from '../ui/table.ts';
import { clip } from '../ui/words.ts';

function formatCaps(caps: Caps): string {
  const parts = [
    caps.per_task_usd !== undefined ? `$${caps.per_task_usd}/task` : undefined,
    caps.per_agent_daily_usd !== undefined ? `$${caps.per_agent_daily_usd}/day` : undefined,
  ].filter((part) => part !== undefined);
  return parts.length > 0 ? parts.join(', ') : '—';
}

function row(agent: Agent, reviewer: string, globalCaps: Caps): string[] {
  // A tool agent calls no model: its provider, model and fallbacks are empty cells.
  const model = agent.role === 'tool' ? undefined : agent;
  return [
    agent.name,
    agent.role,
    model?.provider ?? '—',
    model?.model ?? '—',
    model?.fallbacks.map((ref) => `${ref.provider}:${ref.model}`).join(', ') || '—',
    grantedAreas(agent.permissions).join(', ') || '—',
    formatCaps({ ...globalCaps, ...agent.caps }),
    reviewer,
  ];
}

function keyCell(status: AgentStatus): string {
  if (status.key_env === null) return 'no key needed';
  if (status.key_configured === null) return status.key_env;
  return `${status.key_env} (${status.key_configured ? 'set' : 'missing'})`;
}

function spendCell(spent: number, cap: number | null): string {
  return cap === null ? `${formatUsd(spent)} (no cap)` : `${formatUsd(spent)} of ${formatUsd(cap)}`;
}

function lastRunCell(status: AgentStatus): string {
  if (!status.last_run) return '—';
  const { requests, tokens } = status.last_run;
  return `${requests} req, ${(tokens.input + tokens.output).toLocaleString('en')} tok`;
}

/** The status table: the same data as the dashboard's, from the same files. */
export function renderAgentStatus(file: AgentStatusFile): string {
  const header = ['NAME', 'KEY', 'STATE', 'SPENT TODAY', 'LAST RUN', 'FALLBACK ANSWERED'];
  const rows = file.agents.map((status) => [
    status.name,
    keyCell(status),
    clip(describeAgentState(status), 60),
    spendCell(status.spent_today_usd, status.daily_cap_usd),
    lastRunCell(status),
    status.fallback_model ?? '—',
  ]);
  const run = file.run
    ? `Last run: ${file.run.trigger}${file.run.replay ? ' (replayed answers, $0)' : ''}, started ${file.run.started_at.slice(0, 16).replace('T', ' ')} UTC${file.run.finished_at ? '' : ', still under way'}.`
    : 'No run has been recorded yet.';
  const day = file.day
    ? [`Spent on ${file.day} (UTC) by all agents: ${spendCell(file.spent_today_usd, file.daily_cap_usd)}.`]
    : [];
  return [renderTable(header, rows), '', run, ...day].join('\n');
}

/** `aifactory agents [--status] [--json]`: the registry after plugins and config overrides, or its status. */
export function registerAgents(program: Command): void {
  program
    .command('agents')
    .description(
      'List the agent registry: built-ins, plugins and config overrides; --status shows what each agent is doing.',
    )
    .option('--json', 'print as JSON')
    .option(
      '--status',
      "each agent's state (working, idle, rate-limited, paused by budget, key missing or refused, erroring), key variable, spend today against its caps, and the last run's requests and tokens",
    )
    .addHelpText(
      'after',
      `
--status reads the last run's own file (shared/status/run.json, rewritten while a run works)
and the budget ledger (shared/budget/); it prints what the dashboard's agent status shows.
Keys are named by their variable only, never shown.`,
    )
    .action(async (options: { json?: boolean; status?: boolean }) => {
      const root = process.cwd();
      if (options.status) {
        const { status, problems } = await currentAgentStatus(root);
        for (const problem of problems) console.error(`warning: ${problem}`);
        console.log(options.json ? JSON.stringify(status, null, 2) : renderAgentStatus(status));
        return;
      }
      const config = await loadConfig(root);
      const registry = await loadRegistry(root, config);
      const agents = registry.list();
      const reviewerOf = (agent: Agent): string =>
        agent.role === 'coder' ? registry.reviewerFor({ assignee: agent.name }).name : '—';
      if (options.json) {
        const entries = agents.map((agent) => {
          // A tool agent's `run` is code, not data.
          const { run, ...data } = agent.role === 'tool' ? agent : { ...agent, run: undefined };
          return { ...data, default_reviewer: reviewerOf(agent) };
        });
        console.log(JSON.stringify({ agents: entries, caps: config.caps }, null, 2));
        return;
      }
      const header = ['NAME', 'ROLE', 'PROVIDER', 'MODEL', 'FALLBACKS', 'PERMISSIONS', 'CAPS', 'REVIEWED BY'];
      console.log(
        renderTable(
          header,
          agents.map((agent) => row(agent, reviewerOf(agent), config.caps)),
        ),
      );
      console.log(`\n${capsLine(config.caps)}`);
    });
}
