// Loaded only by pages that show charts: each <canvas data-chart="…"> carries its data as JSON,
// and a table beside it carries the same numbers for screen readers and for printing.
import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  DoughnutController,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { formatUsdTick } from '../../scripts/core/money.ts';
import { colourOf } from '../../scripts/core/status/state-colors.ts';

Chart.register(
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  DoughnutController,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

/**
 * A chart as a page describes it. Colours are named, never given: each dataset (or doughnut
 * slice) has a `tone` — a task state, an agent state or a series — looked up in the one colour
 * table, so a state has the same colour in every chart, legend and badge.
 */
interface ChartSpec {
  type: 'bar' | 'line' | 'doughnut';
  labels: string[];
  datasets: { label: string; data: number[]; tone?: string }[];
  /** Doughnut: one tone per slice (per label). */
  tones?: string[];
  stacked?: boolean;
  /** The values count things (tasks, pull requests): the axis shows whole numbers only. */
  counts?: boolean;
  /** The values are US dollars: the axis reads them by the one money rule. */
  money?: boolean;
}

const dark = window.matchMedia('(prefers-color-scheme: dark)').matches;
const variant = dark ? 'dark' : 'light';
const colour = (tone: string | undefined): string => colourOf(tone ?? 'pending')[variant];
Chart.defaults.color = dark ? '#c9ced8' : '#3b4150';
Chart.defaults.borderColor = dark ? '#2d323b' : '#dfe2e7';

for (const canvas of document.querySelectorAll<HTMLCanvasElement>('canvas[data-chart]')) {
  const spec = JSON.parse(canvas.dataset.chart ?? '{}') as ChartSpec;
  const doughnut = spec.type === 'doughnut';
  const chart = new Chart(canvas, {
    type: spec.type,
    data: {
      labels: spec.labels,
      datasets: spec.datasets.map((dataset) => ({
        label: dataset.label,
        data: dataset.data,
        backgroundColor: doughnut ? (spec.tones ?? []).map(colour) : colour(dataset.tone),
        borderColor: doughnut ? undefined : colour(dataset.tone),
        tension: 0.25,
        pointRadius: 2,
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { display: spec.datasets.length > 1 || doughnut } },
      ...(doughnut
        ? {}
        : {
            scales: {
              // Day labels skip rather than rotate when crowded; every day keeps its place.
              x: { stacked: spec.stacked === true, ticks: { maxRotation: 0, autoSkipPadding: 12 } },
              y: {
                stacked: spec.stacked === true,
                beginAtZero: true,
                ...(spec.counts ? { ticks: { precision: 0 } } : {}),
                ...(spec.money
                  ? { ticks: { callback: (value: string | number) => formatUsdTick(Number(value)) } }
                  : {}),
              },
            },
          }),
    },
  });
  // What the legend shows, as text: for tests, and for anyone who cannot tell colours apart.
  const legend = chart.legend?.legendItems ?? [];
  canvas.dataset.legend = JSON.stringify(
    legend.map((item) => ({ text: item.text, colour: String(item.fillStyle) })),
  );
}
