// Live refresh: polls the deployed summary.json (same origin) with If-None-Match, updates the
// counts and the data age in place, and offers a reload when the tasks changed.
interface Summary {
  generated_at: string | null;
  schedule_interval_seconds: number | null;
  tasks_total: number;
  by_state: Record<string, number>;
}

const body = document.body;
const base = body.dataset.base ?? '/';
const params = new URLSearchParams(location.search);
// `?poll=<ms>` shortens the interval (tests); the default is 45 s.
const pollMs = Math.max(250, Number(params.get('poll')) || 45_000);
let etag: string | null = null;
let known: string | null = null;
let latest = { generated: body.dataset.generated || null, interval: Number(body.dataset.interval) || null };

function ago(iso: string): string {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 60) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

function renderAge(generated: string | null, interval: number | null): void {
  const line = document.querySelector<HTMLElement>('[data-age]');
  if (!line) return;
  if (!generated) {
    line.textContent = 'No run has been recorded yet.';
    return;
  }
  const stale = interval !== null && Date.now() - Date.parse(generated) > 2 * interval * 1000;
  line.textContent = `Updated ${ago(generated)}`;
  line.classList.toggle('stale', stale);
  if (stale)
    line.textContent += ` — older than twice the schedule interval (${interval} s): is the factory running?`;
}

function apply(summary: Summary): void {
  for (const element of document.querySelectorAll<HTMLElement>('[data-count]')) {
    const state = element.dataset.count!;
    const value = state === 'total' ? summary.tasks_total : (summary.by_state[state] ?? 0);
    element.textContent = String(value);
  }
  latest = { generated: summary.generated_at, interval: summary.schedule_interval_seconds };
  renderAge(latest.generated, latest.interval);
  const fingerprint = JSON.stringify([summary.tasks_total, summary.by_state, summary.generated_at]);
  if (known !== null && fingerprint !== known) {
    const notice = document.querySelector<HTMLElement>('[data-reload]');
    if (notice) notice.hidden = false;
  }
  known ??= fingerprint;
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

renderAge(latest.generated, latest.interval);
void poll();
setInterval(() => void poll(), pollMs);
setInterval(() => renderAge(latest.generated, latest.interval), 30_000);
for (const button of document.querySelectorAll<HTMLButtonElement>('[data-reload] button')) {
  button.addEventListener('click', () => location.reload());
}
