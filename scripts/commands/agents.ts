import type { Command } from 'commander';
import { loadConfig } from '../agents/config-loader.ts';
import { loadRegistry } from '../agents/registry.ts';
import { type Agent, grantedAreas } from '../agents/types.ts';
import type { Caps } from '../core/config.ts';
import { renderTable } from '../ui/table.ts';

function formatCaps(caps: Caps): string {
  const parts = [
    caps.per_task_usd !== undefined ? `$${caps.per_task_usd}/task` : undefined,
    caps.per_agent_daily_usd !== undefined ? `$${caps.per_agent_daily_usd}/day` : undefined,
  ].filter((part) => part !== undefined);
  return parts.length > 0 ? parts.join(', ') : '—';
}

function row(agent: Agent, reviewer: string, globalCaps: Caps): string[] {
  return [
    agent.name,
    agent.role,
    agent.provider,
    agent.model,
    agent.fallbacks.map((ref) => `${ref.provider}:${ref.model}`).join(', ') || '—',
    grantedAreas(agent.permissions).join(', ') || '—',
    formatCaps({ ...globalCaps, ...agent.caps }),
    reviewer,
  ];
}

/** `aifactory agents [--json]`: the registry after plugins and config overrides. */
export function registerAgents(program: Command): void {
  program
    .command('agents')
    .description('List the agent registry: built-ins, plugins and config overrides.')
    .option('--json', 'print the registry as JSON')
    .action(async (options: { json?: boolean }) => {
      const root = process.cwd();
      const config = await loadConfig(root);
      const registry = await loadRegistry(root, config);
      const agents = registry.list();
      const reviewerOf = (agent: Agent): string =>
        agent.role === 'coder' ? registry.reviewerFor({ assignee: agent.name }).name : '—';
      if (options.json) {
        const entries = agents.map(({ run, ...agent }) => ({
          ...agent,
          default_reviewer: reviewerOf(agent),
        }));
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
      if (config.caps.daily_usd !== undefined)
        console.log(`\nDaily cap for all agents: $${config.caps.daily_usd}`);
    });
}
