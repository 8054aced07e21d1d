// The SLA reports page's charts (templates/agent/reports.html): data and translated labels
// come from the page's json_script "report-data"; Chart.js is vendored (static/vendor/chartjs/).
(function () {
  "use strict";
  const source = document.getElementById("report-data");
  if (!source || typeof window.Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const text = data.text;
  const blue = "#2b5fd9", green = "#067647", red = "#b42318", amber = "#b54708", grey = "#98a2b3";
  const ageColors = ["#d1e0ff", "#84adff", "#2b5fd9", "#b54708", "#b42318"];
  const percentAxis = { min: 0, max: 100, ticks: { callback: (v) => v + " %" } };
  const common = { responsive: true, maintainAspectRatio: false, animation: false };

  function draw(id, config) {
    const canvas = document.getElementById(id);
    if (canvas) new window.Chart(canvas, config);
  }

  draw("chart-series", {
    data: {
      labels: data.series.labels,
      datasets: [
        { type: "line", label: text.first_response, data: data.series.first_response,
          borderColor: blue, backgroundColor: blue, yAxisID: "y", spanGaps: true },
        { type: "line", label: text.resolution, data: data.series.resolution,
          borderColor: green, backgroundColor: green, yAxisID: "y", spanGaps: true },
        { type: "bar", label: text.tickets, data: data.series.tickets,
          backgroundColor: "rgba(152, 162, 179, .35)", yAxisID: "count" },
      ],
    },
    options: { ...common, scales: { y: percentAxis,
      count: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false } } } },
  });

  draw("chart-priority", {
    type: "bar",
    data: {
      labels: data.priority.labels,
      datasets: [
        { label: text.first_response, data: data.priority.first_response, backgroundColor: blue },
        { label: text.resolution, data: data.priority.resolution, backgroundColor: green },
      ],
    },
    options: { ...common, scales: { y: percentAxis } },
  });

  draw("chart-tiers", {
    type: "bar",
    data: {
      labels: data.tiers.labels,
      datasets: [
        { label: text.breaches, data: data.tiers.breaches, backgroundColor: red },
        { label: text.escalations, data: data.tiers.escalations, backgroundColor: amber },
      ],
    },
    options: { ...common, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });

  draw("chart-backlog", {
    type: "bar",
    data: {
      labels: data.backlog.labels,
      datasets: data.backlog.datasets.map((set, i) => ({
        label: set.label, data: set.data, backgroundColor: ageColors[i] || grey,
      })),
    },
    options: { ...common, indexAxis: "y",
      scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } } },
  });
})();
