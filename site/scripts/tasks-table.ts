// The tasks table: one compact JSON index, filtered, searched, sorted and paged in the browser.
// At 10,000 tasks this is a few milliseconds per keystroke; only one page of rows is in the DOM.
import { formatUsd } from '../../scripts/core/money.ts';

interface Row {
  id: string;
  title: string;
  state: string;
  assignee: string;
  reviewer: string | null;
  labels: string[];
  iteration: number;
  pr: number | null;
  pr_url: string | null;
  updated_at: string | null;
  cost_usd: number;
}

const PAGE_SIZE = 50;
const base = document.body.dataset.base ?? '/';
const form = document.querySelector<HTMLFormElement>('[data-filters]')!;
const tbody = document.querySelector<HTMLTableSectionElement>('[data-rows]');
const count = document.querySelector<HTMLElement>('[data-result-count]')!;
const pager = document.querySelector<HTMLElement>('[data-pager]')!;
const noMatch = document.querySelector<HTMLElement>('[data-no-match]');
const headers = [...document.querySelectorAll<HTMLTableCellElement>('th[data-key]')];
const params = new URLSearchParams(location.search);
let rows: Row[] = [];
let sortKey = params.get('sort') ?? 'updated_at';
let descending = params.get('dir') !== 'asc';
let page = 1;

for (const name of ['q', 'state', 'agent', 'label']) {
  const field = form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null;
  if (field && params.get(name)) field.value = params.get(name)!;
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
const usd = formatUsd;

function compare(a: Row, b: Row): number {
  const x = a[sortKey as keyof Row] ?? '';
  const y = b[sortKey as keyof Row] ?? '';
  const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
  return (descending ? -order : order) || a.id.localeCompare(b.id);
}

function render(): void {
  const data = new FormData(form);
  const q = String(data.get('q') ?? '')
    .trim()
    .toLowerCase();
  const state = String(data.get('state') ?? '');
  const agent = String(data.get('agent') ?? '');
  const label = String(data.get('label') ?? '');
  const matches = rows.filter(
    (row) =>
      (!state || row.state === state) &&
      (!agent || row.assignee === agent || row.reviewer === agent) &&
      (!label || row.labels.includes(label)) &&
      (!q || row.id.toLowerCase().includes(q) || row.title.toLowerCase().includes(q)),
  );
  matches.sort(compare);
  const pages = Math.max(1, Math.ceil(matches.length / PAGE_SIZE));
  page = Math.min(page, pages);
  count.textContent = String(matches.length);
  if (tbody) {
    tbody.innerHTML = matches
      .slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE)
      .map(
        (row) => `<tr>
<td data-label="Task"><a href="${base}tasks/${encodeURIComponent(row.id)}/">${escapeHtml(row.id)}</a><br><span class="muted">${escapeHtml(row.title)}</span></td>
<td data-label="State"><span class="state state-${row.state}">${row.state.replaceAll('_', ' ')}</span></td>
<td data-label="Agent">${escapeHtml(row.assignee)}</td>
<td data-label="Reviewer" class="hide-narrow">${escapeHtml(row.reviewer ?? '—')}</td>
<td data-label="Iteration" class="num hide-narrow">${row.iteration}</td>
<td data-label="PR" class="num">${row.pr ? (row.pr_url ? `<a href="${escapeHtml(row.pr_url)}">#${row.pr}</a>` : `#${row.pr}`) : '—'}</td>
<td data-label="Cost" class="num hide-narrow">${usd(row.cost_usd)}</td>
<td data-label="Updated">${row.updated_at ? `<time datetime="${escapeHtml(row.updated_at)}">${row.updated_at.slice(0, 10)}</time>` : '—'}</td>
</tr>`,
      )
      .join('');
  }
  if (noMatch) noMatch.hidden = matches.length > 0 || rows.length === 0;
  pager.hidden = pages <= 1;
  pager.querySelector<HTMLElement>('[data-page]')!.textContent = `Page ${page} of ${pages}`;
  pager.querySelector<HTMLButtonElement>('[data-prev]')!.disabled = page <= 1;
  pager.querySelector<HTMLButtonElement>('[data-next]')!.disabled = page >= pages;
  for (const header of headers) {
    header.setAttribute(
      'aria-sort',
      header.dataset.key === sortKey ? (descending ? 'descending' : 'ascending') : 'none',
    );
  }
  const next = new URLSearchParams();
  for (const [key, value] of [
    ['q', q],
    ['state', state],
    ['agent', agent],
    ['label', label],
  ] as const) {
    if (value) next.set(key, value);
  }
  history.replaceState(null, '', next.size > 0 ? `?${next}` : location.pathname);
}

form.addEventListener('input', () => {
  page = 1;
  render();
});
form.addEventListener('submit', (event) => event.preventDefault());
noMatch?.querySelector('[data-clear]')?.addEventListener('click', () => {
  form.reset();
  page = 1;
  render();
});
for (const header of headers) {
  header.querySelector('button')?.addEventListener('click', () => {
    const key = header.dataset.key!;
    descending = key === sortKey ? !descending : key === 'updated_at' || key === 'cost_usd';
    sortKey = key;
    render();
  });
}
pager.querySelector('[data-prev]')!.addEventListener('click', () => {
  page -= 1;
  render();
});
pager.querySelector('[data-next]')!.addEventListener('click', () => {
  page += 1;
  render();
});

fetch(`${base}tasks.json`)
  .then((response) => response.json())
  .then((index: { tasks: Row[] }) => {
    rows = index.tasks;
    document.body.dataset.tasksReady = 'true';
    render();
  });
