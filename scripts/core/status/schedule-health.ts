// The "is the factory running?" warning, from the cron schedule's interval and the last scheduled run. Pure.
import { Cron } from 'croner';

/** A fixed Monday to count cron gaps from, so the same expression always gives the same interval. */
const FROM = new Date(Date.UTC(2024, 0, 1));
/** GitHub starts scheduled runs late under load; this much lateness is not yet "stopped". */
export const SCHEDULE_SLACK_SECONDS = 15 * 60;

/**
 * The longest gap, in seconds, between runs of a cron schedule (UTC, as GitHub Actions reads it),
 * over its next 500 runs; null when the expression is no cron.
 */
export function cronIntervalSeconds(expression: string): number | null {
  let runs: Date[];
  try {
    runs = new Cron(expression, { paused: true, timezone: 'UTC' }).nextRuns(500, FROM);
  } catch {
    return null;
  }
  let longest = 0;
  for (let index = 1; index < runs.length; index += 1) {
    longest = Math.max(longest, (runs[index]!.getTime() - runs[index - 1]!.getTime()) / 1000);
  }
  return longest > 0 ? longest : null;
}

/** States in which a task waits for the factory (not for a person, and not over). */
const WORK_STATES = ['pending', 'running', 'proposed', 'reviewing', 'changes_requested', 'approved'] as const;

/**
 * The "is the factory running?" warning, judged from the schedule and the last scheduled run:
 * only a factory that runs on a schedule can be late. A one-off local run, or no schedule at all,
 * is never "stopped"; a scheduled run is late after twice its interval, plus GitHub's lateness.
 * A run with nothing to do writes nothing, so lateness is judged only while work waits.
 */
export function scheduleWarning(
  summary: {
    last_scheduled_at: string | null;
    schedule_interval_seconds: number | null;
    by_state: Readonly<Partial<Record<string, number>>>;
  },
  nowMs: number,
): string | null {
  const { last_scheduled_at: last, schedule_interval_seconds: interval } = summary;
  if (last === null || interval === null) return null;
  if (!WORK_STATES.some((state) => (summary.by_state[state] ?? 0) > 0)) return null;
  const lateSeconds = (nowMs - Date.parse(last)) / 1000;
  if (lateSeconds <= 2 * interval + SCHEDULE_SLACK_SECONDS) return null;
  return `no scheduled run since ${last.slice(0, 16).replace('T', ' ')} UTC, and the schedule runs every ${every(interval)}: is the factory running?`;
}

function every(seconds: number): string {
  if (seconds % 86_400 === 0) return seconds === 86_400 ? 'day' : `${seconds / 86_400} days`;
  if (seconds % 3600 === 0) return seconds === 3600 ? 'hour' : `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
