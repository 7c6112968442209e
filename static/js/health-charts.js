/* Charts of the relationship-health pages. Data comes from json_script elements (CSP-safe). */
(function () {
  "use strict";
  var BAND = { red: "#a61b1b", amber: "#b35c00", green: "#146c43" };

  function data(canvas, attr) {
    var el = document.getElementById(canvas.dataset[attr || "source"]);
    return el ? JSON.parse(el.textContent) : null;
  }

  /* Series names in the reader's language: the page's json_script "chart-names"
     (brm.health.charts.chart_names), else the English name given here. */
  function name(key, english) {
    var el = document.getElementById("chart-names");
    var names = el ? JSON.parse(el.textContent) : {};
    return names[key] || english;
  }

  var kinds = {
    sparkline: function (canvas, rows) {
      return {
        type: "line",
        data: { labels: rows.map(function (r) { return r.d; }),
          datasets: [{ data: rows.map(function (r) { return r.s; }), borderColor: "#0d6efd", borderWidth: 1.5, pointRadius: 0, tension: .3 }] },
        options: { responsive: false, animation: false, plugins: { legend: { display: false }, tooltip: { enabled: false } },
          scales: { x: { display: false }, y: { display: false, min: 0, max: 100 } } }
      };
    },
    "health-history": function (canvas, rows) {
      function line(label, key, color, dash) {
        return { label: label, data: rows.map(function (r) { return r[key]; }), borderColor: color, borderDash: dash || [],
          pointRadius: rows.length < 15 ? 3 : 0, tension: .25, spanGaps: true };
      }
      return {
        type: "line",
        data: { labels: rows.map(function (r) { return r.d; }),
          datasets: [line(name("score", "Score"), "s", "#0d6efd"), line(name("perception", "How the business feels"), "p", BAND.red, [6, 3]), line(name("delivery", "Delivery (SLAs)"), "dl", BAND.green, [2, 2])] },
        options: { maintainAspectRatio: false, scales: { y: { min: 0, max: 100 } } }
      };
    },
    "complaint-ageing": function (canvas, rows) {
      var labels = data(canvas, "labels") || [];
      var colors = { critical: "#a61b1b", high: "#dc3545", medium: "#f0ad4e", low: "#6c757d" };
      return {
        type: "bar",
        data: { labels: labels, datasets: rows.map(function (r) {
          return { label: r.label || r.severity, data: r.counts, backgroundColor: colors[r.severity] };
        }) },
        options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }
      };
    },
    promises: function (canvas, p) {
      return {
        type: "doughnut",
        data: { labels: [name("on_time", "Kept on time"), name("late", "Kept late"), name("dropped", "Dropped"), name("overdue", "Still overdue")],
          datasets: [{ data: [p.on_time, p.late, p.dropped, p.overdue], backgroundColor: [BAND.green, "#f0ad4e", "#6c757d", BAND.red] }] },
        options: { maintainAspectRatio: false, plugins: { legend: { position: "right" } } }
      };
    },
    "monthly-complaints": function (canvas, rows) {
      return {
        type: "bar",
        data: { labels: rows.map(function (r) { return r.month; }),
          datasets: [{ label: name("complaints", "Complaints"), data: rows.map(function (r) { return r.complaints; }), backgroundColor: "rgba(220,53,69,.5)" }] },
        options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
      };
    }
  };

  function draw(root) {
    if (!window.Chart) return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var make = kinds[canvas.dataset.chart];
      if (!make || canvas.dataset.drawn) return;
      var rows = data(canvas);
      if (!rows) return;
      canvas.dataset.drawn = "1";
      new window.Chart(canvas, make(canvas, rows));
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (e) { draw(e.target); });
})();
