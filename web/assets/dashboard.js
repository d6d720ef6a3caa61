// The dashboard's two charts (Chart.js). The figures come from <script type="application/json"
// id="dashboard-data">; the same figures are in the page's tables for screen readers and print.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Tooltip);

const COLOURS = {
  completed_on_time: '#198754',
  completed_late: '#fd7e14',
  open_in_term: '#6c757d',
  open_overdue: '#dc3545',
};

function unitsChart(canvas, data) {
  const datasets = Object.keys(COLOURS).map((key) => ({
    label: data.labels[key],
    data: data.series[key],
    backgroundColor: COLOURS[key],
  }));
  return new Chart(canvas, {
    type: 'bar',
    data: { labels: data.codes, datasets },
    options: {
      maintainAspectRatio: false,
      animation: false,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      plugins: {
        legend: { position: 'bottom' },
        tooltip: { callbacks: { title: (items) => data.units[items[0].dataIndex] } },
      },
    },
  });
}

function trendChart(canvas, data) {
  return new Chart(canvas, {
    type: 'line',
    data: {
      labels: data.months,
      datasets: [
        { label: data.rate_label, data: data.rates, borderColor: '#0d6efd', backgroundColor: '#0d6efd', spanGaps: true },
        { label: data.on_time_label, data: data.on_time, borderColor: '#198754', backgroundColor: '#198754', spanGaps: true },
      ],
    },
    options: {
      maintainAspectRatio: false,
      animation: false,
      scales: { y: { min: 0, max: 100 } },
      plugins: { legend: { position: 'bottom' } },
    },
  });
}

const source = document.getElementById('dashboard-data');
if (source) {
  const data = JSON.parse(source.textContent);
  const units = document.getElementById('units-chart');
  const trend = document.getElementById('trend-chart');
  if (units) unitsChart(units, data);
  if (trend) trendChart(trend, data);
  document.body.dataset.chartsReady = 'true';
}
