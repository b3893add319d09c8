// Live refresh: polls the deployed summary.json (same origin) with If-None-Match, updates the
// counts and the data age in place, and offers a reload when the tasks changed.
import { scheduleWarning } from '../../scripts/core/status/schedule-health.ts';
import type { Summary } from '../../scripts/core/status/snapshot-schema.ts';

interface Latest {
  generated: string | null;
  interval: number | null;
  scheduled: string | null;
  trigger: string | null;
  byState: Record<string, number>;
}

const body = document.body;
const base = body.dataset.base ?? '/';
const params = new URLSearchParams(location.search);
// `?poll=<ms>` shortens the interval (tests); the default is 45 s.
const pollMs = Math.max(250, Number(params.get('poll')) || 45_000);
let etag: string | null = null;
let latest: Latest = {
  generated: body.dataset.generated || null,
  interval: Number(body.dataset.interval) || null,
  scheduled: body.dataset.scheduled || null,
  trigger: body.dataset.trigger || null,
  byState: JSON.parse(body.dataset.states || '{}') as Record<string, number>,
};

/** What says the tasks changed: the count in each state (zeros left out, in a fixed order) and the time. */
function fingerprint(byState: Record<string, number>, generated: string | null): string {
  const counts = Object.entries(byState)
    .filter(([, count]) => count > 0)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify([counts, generated]);
}

/** The data this page was built from: the reload notice compares the deployed data with it. */
const built = fingerprint(latest.byState, latest.generated);

function ago(iso: string): string {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 60) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

const STARTED: Record<string, string> = {
  schedule: 'by the schedule',
  workflow_dispatch: 'by hand on GitHub',
  push: 'by a push',
  watch: 'by watch',
  local: 'by hand, locally',
  other: 'by a GitHub event',
};

// Stale only after a schedule missed its runs: a one-off local run is not a stopped factory.
function renderAge(state: Latest): void {
  const line = document.querySelector<HTMLElement>('[data-age]');
  if (!line) return;
  if (!state.generated) {
    line.textContent = 'No run has been recorded yet.';
    return;
  }
  const warning = scheduleWarning(
    {
      last_scheduled_at: state.scheduled,
      schedule_interval_seconds: state.interval,
      by_state: state.byState,
    },
    Date.now(),
  );
  const how = state.trigger ? ` · last run started ${STARTED[state.trigger] ?? state.trigger}` : '';
  line.textContent = `Updated ${ago(state.generated)}${how}`;
  line.classList.toggle('stale', warning !== null);
  if (warning) line.textContent += ` — ${warning}`;
}

function apply(summary: Summary): void {
  for (const element of document.querySelectorAll<HTMLElement>('[data-count], [data-state-count]')) {
    const state = (element.dataset.count ?? element.dataset.stateCount)!;
    const value = state === 'total' ? summary.tasks_total : (summary.by_state[state] ?? 0);
    element.textContent = String(value);
  }
  latest = {
    generated: summary.generated_at,
    interval: summary.schedule_interval_seconds,
    scheduled: summary.last_scheduled_at,
    trigger: summary.last_run?.trigger ?? null,
    byState: summary.by_state,
  };
  renderAge(latest);
  // Against the build, not the first poll: data deployed before this page's first poll changed
  // the tasks since it was built too.
  if (fingerprint(summary.by_state, summary.generated_at) !== built) {
    const notice = document.querySelector<HTMLElement>('[data-reload]');
    if (notice) notice.hidden = false;
  }
}

async function poll(): Promise<void> {
  try {
    const response = await fetch(`${base}summary.json`, {
      headers: etag ? { 'If-None-Match': etag } : {},
      cache: 'no-cache',
    });
    if (response.status === 200) {
      etag = response.headers.get('etag');
      apply((await response.json()) as Summary);
    }
  } catch {
    // Offline or deploying: try again next time.
  }
}

renderAge(latest);
void poll();
setInterval(() => void poll(), pollMs);
setInterval(() => renderAge(latest), 30_000);
for (const button of document.querySelectorAll<HTMLButtonElement>('[data-reload] button')) {
  button.addEventListener('click', () => location.reload());
}
