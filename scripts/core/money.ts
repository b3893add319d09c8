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
