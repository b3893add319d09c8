import { describe, expect, it } from 'vitest';
import { cronIntervalSeconds, scheduleWarning } from '../../../../scripts/core/status/schedule-health.ts';

describe('cronIntervalSeconds', () => {
  it('reads the longest gap between runs of a GitHub schedule', () => {
    expect(cronIntervalSeconds('*/15 * * * *')).toBe(900);
    expect(cronIntervalSeconds('0 * * * *')).toBe(3600);
    expect(cronIntervalSeconds('0 3 * * *')).toBe(86_400);
    expect(cronIntervalSeconds('0 9 * * 1-5')).toBe(3 * 86_400);
  });

  it('has no interval for what is no cron', () => {
    expect(cronIntervalSeconds('every now and then')).toBeNull();
    // February 30th never comes.
    expect(cronIntervalSeconds('0 0 30 2 *')).toBeNull();
  });
});

describe('scheduleWarning', () => {
  const now = Date.parse('2026-12-02T12:00:00.000Z');
  const by_state = { pending: 1, merged: 4 };
  it('never calls a factory stopped that has no scheduled run or no schedule', () => {
    expect(
      scheduleWarning({ last_scheduled_at: null, schedule_interval_seconds: 900, by_state }, now),
    ).toBeNull();
    expect(
      scheduleWarning(
        { last_scheduled_at: '2026-01-01T00:00:00.000Z', schedule_interval_seconds: null, by_state },
        now,
      ),
    ).toBeNull();
  });

  it('does not judge an idle factory, whose runs leave no trace, only one with work waiting', () => {
    const old = { last_scheduled_at: '2026-01-01T00:00:00.000Z', schedule_interval_seconds: 900 };
    expect(scheduleWarning({ ...old, by_state: { merged: 4, needs_human: 1 } }, now)).toBeNull();
    expect(scheduleWarning({ ...old, by_state: {} }, now)).toBeNull();
    expect(scheduleWarning({ ...old, by_state: { reviewing: 1 } }, now)).toContain('is the factory running?');
  });

  it('waits twice the interval and GitHub lateness before it warns', () => {
    const summary = {
      last_scheduled_at: '2026-12-02T11:00:00.000Z',
      schedule_interval_seconds: 1800,
      by_state,
    };
    expect(scheduleWarning(summary, now)).toBeNull();
    expect(scheduleWarning(summary, now + 16 * 60_000)).toBe(
      'no scheduled run since 2026-12-02 11:00 UTC, and the schedule runs every 30 min: is the factory running?',
    );
  });

  it('words the interval in days, hours, minutes or seconds', () => {
    const words = [86_400, 172_800, 3600, 7200, 45].map((interval) =>
      scheduleWarning(
        { last_scheduled_at: '2026-01-01T00:00:00.000Z', schedule_interval_seconds: interval, by_state },
        now,
      ),
    );
    expect(words.map((line) => line?.match(/every (.+):/)?.[1])).toEqual([
      'day',
      '2 days',
      'hour',
      '2 h',
      '45 s',
    ]);
  });
});
