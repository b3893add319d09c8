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

interface ChartSpec {
  type: 'bar' | 'line' | 'doughnut';
  labels: string[];
  datasets: { label: string; data: number[] }[];
  /** Colours per label (doughnut slices), by meaning: merged green, failed red. */
  colors?: string[];
  stacked?: boolean;
}

const PALETTE = ['#3559e0', '#1f8a4c', '#c2362f', '#a86400', '#5b5bd6', '#0e7c86', '#8a3ffc'];
const dark = window.matchMedia('(prefers-color-scheme: dark)').matches;
Chart.defaults.color = dark ? '#c9ced8' : '#3b4150';
Chart.defaults.borderColor = dark ? '#2d323b' : '#dfe2e7';

for (const canvas of document.querySelectorAll<HTMLCanvasElement>('canvas[data-chart]')) {
  const spec = JSON.parse(canvas.dataset.chart ?? '{}') as ChartSpec;
  const doughnut = spec.type === 'doughnut';
  new Chart(canvas, {
    type: spec.type,
    data: {
      labels: spec.labels,
      datasets: spec.datasets.map((dataset, index) => ({
        ...dataset,
        backgroundColor: doughnut ? (spec.colors ?? PALETTE) : PALETTE[index % PALETTE.length],
        borderColor: doughnut ? undefined : PALETTE[index % PALETTE.length],
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
              x: { stacked: spec.stacked === true },
              y: { stacked: spec.stacked === true, beginAtZero: true },
            },
          }),
    },
  });
}
