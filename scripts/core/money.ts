/**
 * The one precision rule for money, on the dashboard and in the terminal: $0 when nothing was
 * spent, four decimals under a cent (model calls are cheap), two from a cent up.
 */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  return usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}
