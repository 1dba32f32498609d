/* Draws the admin dashboard's charts with Chart.js (vendored, see vendor/chart.js).
   Data comes from the <script type="application/json" id="dashboard-charts"> that
   the page renders with json_script: no inline script, so a strict CSP holds. */
(function () {
  "use strict";

  var PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
                 "#edc948", "#b07aa1", "#ff9da7", "#9c755f"];

  function cssVar(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function stacked(canvasId, days, datasets, money) {
    var canvas = document.getElementById(canvasId);
    if (!canvas) { return null; }
    var text = cssVar("--body-quiet-color", "#666");
    var grid = cssVar("--hairline-color", "#ddd");
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: days.map(function (day) { return day.slice(5); }),
        datasets: datasets.map(function (set, n) {
          return { label: set.label, data: set.data, backgroundColor: PALETTE[n % PALETTE.length] };
        })
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        plugins: {
          legend: { labels: { color: text, boxWidth: 12 } },
          tooltip: money ? { callbacks: { label: function (ctx) {
            return ctx.dataset.label + ": $" + ctx.parsed.y.toFixed(4);
          } } } : {}
        },
        scales: {
          x: { stacked: true, ticks: { color: text }, grid: { color: grid } },
          y: { stacked: true, beginAtZero: true, ticks: { color: text }, grid: { color: grid } }
        }
      }
    });
  }

  function topUsers(data) {
    var canvas = document.getElementById("chart-top-users");
    if (!canvas) { return null; }
    var text = cssVar("--body-quiet-color", "#666");
    var grid = cssVar("--hairline-color", "#ddd");
    return new Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: [{ label: "USD", data: data.cost, backgroundColor: PALETTE[0] }] },
      options: {
        indexAxis: "y",
        animation: false,
        maintainAspectRatio: false,
        plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true, ticks: { color: text }, grid: { color: grid } },
                  y: { ticks: { color: text }, grid: { color: grid } } },
        onClick: function (_event, elements) {
          if (elements.length && data.urls[elements[0].index]) {
            window.location.href = data.urls[elements[0].index];
          }
        }
      }
    });
  }

  function draw() {
    var source = document.getElementById("dashboard-charts");
    if (!source || typeof Chart === "undefined") { return; }
    var charts = JSON.parse(source.textContent);
    stacked("chart-interactions", charts.days, charts.interactions, false);
    stacked("chart-cost", charts.days, charts.cost, true);
    stacked("chart-sessions", charts.days, charts.sessions, false);
    topUsers(charts.top_users);
    document.getElementById("dashboard").setAttribute("data-charts-drawn", "true");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
