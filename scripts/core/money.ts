// Money as people read it: dollar amounts, steps on a chart's axis, and spend against a cap. Pure.
import type { Caps } from './config.ts';

/**
 * The one precision rule for money, on the dashboard and in the terminal: $0 when nothing was
 * spent, four decimals under a cent (model calls are cheap), two from a cent up.
 */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  return usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

/**
 * A step on a chart's money axis: the steps are evenly spaced, so they keep the digits that tell
 * them apart (up to four decimals, no trailing zeros) where `formatUsd` would round two to one label.
 */
export function formatUsdTick(usd: number): string {
  return `$${usd.toLocaleString('en', { maximumFractionDigits: 4, useGrouping: false })}`;
}

/** Less than this past a cap is rounding, not spend: it reads as the cap reached. */
const PAST_CAP_USD = 0.0001;

/**
 * Spend read against a cap named `cap_name` ("daily cap"): "$1.10 of $5.00 daily cap", or, once
 * spend went past it (a call's cost is known only after it answered), "$5.00 daily cap passed by
 * $0.20" — never "$5.20 of $5.00". Without a cap, the spend and "no daily cap".
 */
export function spendAgainstCap(spent: number, cap: number | null, capName: string): string {
  if (cap === null) return `${formatUsd(spent)} (no ${capName})`;
  const over = spent - cap;
  if (over >= PAST_CAP_USD) return `${formatUsd(cap)} ${capName} passed by ${formatUsd(over)}`;
  return `${formatUsd(Math.min(spent, cap))} of ${formatUsd(cap)} ${capName}`;
}

/**
 * The caps in force, in one line for the terminal: "Spending caps: $10.00 a day for all agents,
 * $2.00 per task, no per-agent daily cap." A cap the config sets to `null` reads as "no … cap".
 */
export function capsLine(caps: Caps): string {
  const part = (cap: number | undefined, capped: string, none: string) =>
    cap === undefined ? none : `${formatUsd(cap)} ${capped}`;
  return `Spending caps: ${[
    part(caps.daily_usd, 'a day for all agents', 'no daily cap (daily_usd: null)'),
    part(caps.per_task_usd, 'per task', 'no per-task cap (per_task_usd: null)'),
    part(caps.per_agent_daily_usd, 'a day per agent', 'no per-agent daily cap'),
  ].join(', ')}.`;
}
