/* Behaviour shared by every page. No inline scripts: the CSP allows only files from /static/. */
(function () {
  "use strict";

  /* Series names in the reader's language: the page's json_script "chart-names"
     ({% app_chart_names %}, brm.core.chart_names), else the English name given here. */
  function name(key, english) {
    var el = document.getElementById("chart-names");
    var names = el ? JSON.parse(el.textContent) : {};
    return names[key] || english;
  }

  // Charts: <canvas data-chart="sentiment" data-source="<id of a json_script>">
  function drawCharts(root) {
    if (!window.Chart) return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.drawn) return;
      var source = document.getElementById(canvas.dataset.source);
      if (!source) return;
      var rows = JSON.parse(source.textContent);
      canvas.dataset.drawn = "1";
      if (canvas.dataset.chart === "sentiment") {
        new window.Chart(canvas, {
          type: "line",
          data: {
            labels: rows.map(function (r) { return r.month; }),
            datasets: [{ label: name("sentiment", "Average sentiment"), data: rows.map(function (r) { return r.avg; }),
              borderColor: "#0d6efd", backgroundColor: "rgba(13,110,253,.15)", fill: true, tension: .3 }]
          },
          options: { scales: { y: { min: -2, max: 2, ticks: { stepSize: 1 } } }, plugins: { legend: { display: false } } }
        });
      }
      if (canvas.dataset.chart === "complaints-open") {
        var colours = { low: "#6c757d", medium: "#0dcaf0", high: "#fd7e14", critical: "#dc3545" };
        new window.Chart(canvas, {
          type: "bar",
          data: {
            labels: rows.units,
            datasets: rows.severities.map(function (s) {
              return { label: (rows.severity_labels || {})[s] || s, data: rows.open[s], backgroundColor: colours[s] };
            })
          },
          options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }
        });
      }
      if (canvas.dataset.chart === "complaints-targets") {
        new window.Chart(canvas, {
          type: "bar",
          data: {
            labels: rows.targets.map(function (t) { return t.severity; }),
            datasets: [
              { label: name("ack_on_time", "Acknowledged on time"), data: rows.targets.map(function (t) { return t.ack_pct; }), backgroundColor: "#0d6efd" },
              { label: name("resolved_on_time", "Resolved on time"), data: rows.targets.map(function (t) { return t.resolve_pct; }), backgroundColor: "#198754" }
            ]
          },
          options: { scales: { y: { min: 0, max: 100 } } }
        });
      }
      if (canvas.dataset.chart === "availability") {
        // A sparkline in the performance pack: availability per period, target dashed.
        var target = parseFloat(canvas.dataset.target);
        new window.Chart(canvas, {
          type: "line",
          data: {
            labels: rows.map(function (r) { return r.period; }),
            datasets: [
              { label: name("availability", "Availability %"), data: rows.map(function (r) { return r.availability; }), borderColor: "#0d6efd", borderWidth: 2, tension: .2,
                pointRadius: 2, pointBackgroundColor: rows.map(function (r) { return r.met ? "#146c43" : "#a61b1b"; }) },
              { label: name("target", "Target %"), data: rows.map(function () { return target; }), borderColor: "#6c757d", borderDash: [4, 3], borderWidth: 1, pointRadius: 0 }
            ]
          },
          options: { responsive: false, animation: false, plugins: { legend: { display: false }, tooltip: { enabled: true } },
            scales: { x: { display: false }, y: { display: false } } }
        });
      }
      if (canvas.dataset.chart === "survey-distribution") {
        new window.Chart(canvas, {
          type: "bar",
          data: { labels: rows.map(function (r) { return r.score; }),
            datasets: [{ label: name("answers", "Answers"), data: rows.map(function (r) { return r.count; }), backgroundColor: "#0d6efd" }] },
          // Fills its .chart-box, so it shrinks with the window (a phone turned upright).
          options: { maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
        });
      }
      if (canvas.dataset.chart === "survey-trend") {
        new window.Chart(canvas, {
          type: "line",
          data: { labels: rows.map(function (r) { return r.label; }),
            datasets: [
              { label: name("csat", "CSAT (1-5)"), yAxisID: "y", data: rows.map(function (r) { return r.suppressed ? null : r.csat; }), borderColor: "#0d6efd", tension: .2 },
              { label: name("nps", "NPS"), yAxisID: "y2", data: rows.map(function (r) { return r.suppressed ? null : r.nps; }), borderColor: "#b02a37", borderDash: [5, 4], tension: .2 }
            ] },
          // Fills its .chart-box like the distributions, so it shrinks on a phone.
          options: { maintainAspectRatio: false, scales: { y: { min: 1, max: 5, position: "left" }, y2: { min: -100, max: 100, position: "right", grid: { drawOnChartArea: false } } } }
        });
      }
      if (canvas.dataset.chart === "service-metrics") {
        new window.Chart(canvas, {
          data: {
            labels: rows.map(function (r) { return r.period; }),
            datasets: [
              { type: "line", label: name("availability", "Availability %"), yAxisID: "y", data: rows.map(function (r) { return r.availability; }),
                borderColor: "#0d6efd", tension: .2, pointBackgroundColor: rows.map(function (r) { return r.sla_met ? "#146c43" : "#a61b1b"; }) },
              { type: "line", label: name("target", "Target %"), yAxisID: "y", data: rows.map(function (r) { return r.target; }),
                borderColor: "#6c757d", borderDash: [5, 4], pointRadius: 0 },
              { type: "bar", label: name("incidents", "Incidents"), yAxisID: "y2", data: rows.map(function (r) { return r.incidents; }),
                backgroundColor: "rgba(220,53,69,.35)" }
            ]
          },
          options: { scales: { y: { position: "left", suggestedMax: 100 }, y2: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false } } } }
        });
      }
      if (canvas.dataset.chart === "benefits") {
        // Planned vs realised per period; business-confirmed bars are solid, IT estimates hatched-light.
        new window.Chart(canvas, {
          type: "bar",
          data: {
            labels: rows.map(function (r) { return r.period; }),
            datasets: [
              { label: name("planned", "Planned"), data: rows.map(function (r) { return r.planned; }), backgroundColor: "rgba(108,117,125,.45)" },
              { label: name("realised", "Realised"), data: rows.map(function (r) { return r.realised; }),
                backgroundColor: rows.map(function (r) { return r.confirmed ? "#198754" : "rgba(25,135,84,.35)"; }) }
            ]
          },
          options: { scales: { y: { beginAtZero: true } } }
        });
      }
      if (canvas.dataset.chart === "objective-share") {
        var palette = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#dc3545", "#ffc107", "#6c757d"];
        new window.Chart(canvas, {
          type: "doughnut",
          data: {
            labels: rows.map(function (r) { return r.name; }),
            datasets: [{ data: rows.map(function (r) { return r.pct; }),
              backgroundColor: rows.map(function (r, i) { return palette[i % palette.length]; }) }]
          },
          options: { plugins: { legend: { position: "bottom" } } }
        });
      }
    });
  }

  // Tables stack into one card per row on a phone (app.css, .table-responsive > .table); each
  // cell then shows its column's header, copied here once from the <thead> into data-label.
  function labelCells(root) {
    root.querySelectorAll(".table-responsive > table").forEach(function (table) {
      var heads = table.tHead ? Array.prototype.map.call(
        table.tHead.rows[0] ? table.tHead.rows[0].cells : [], function (th) { return th.textContent.trim(); }) : [];
      if (!heads.length) return;
      Array.prototype.forEach.call(table.tBodies, function (body) {
        Array.prototype.forEach.call(body.rows, function (row) {
          var col = 0;
          Array.prototype.forEach.call(row.cells, function (cell) {
            if (!cell.hasAttribute("data-label") && heads[col]) cell.setAttribute("data-label", heads[col]);
            col += cell.colSpan || 1;
          });
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { labelCells(document); drawCharts(document); });
  document.addEventListener("htmx:afterSettle", function (e) { labelCells(e.target); drawCharts(e.target); });

  // What a refused htmx request says: the server's own words when it sent any (a short text, or
  // the alert / field error in an HTML answer, parsed inertly, never inserted as markup), else
  // what the status means (HTTP semantics: 403 refused, 409 state conflict, 412 stale write).
  var STATUS_TEXT = {
    400: "Please check what you entered.",
    403: "You may not do that.",
    404: "This record no longer exists or is not yours to see.",
    409: "This can no longer be done in the record's current state; reload the page to see it.",
    412: "Someone else saved this meanwhile; reload the page to see their change, then try again.",
    413: "That is too large to upload.",
    429: "Too many attempts; please wait a moment and try again."
  };
  function errorText(xhr) {
    var body = xhr.responseText || "";
    var type = xhr.getResponseHeader("Content-Type") || "";
    if (body && type.indexOf("text/html") === 0) {
      var doc = new DOMParser().parseFromString(body, "text/html");
      var found = doc.querySelector(".alert-danger, [role=alert], .invalid-feedback, .errorlist, main h1");
      var text = found ? found.textContent.replace(/\s+/g, " ").trim() : "";
      if (text && text.length < 300) return text;
    } else if (body && body.length < 300 && type.indexOf("application/json") !== 0) {
      return body;
    }
    return STATUS_TEXT[xhr.status] || "Something went wrong; please try again.";
  }

  // A refusal our views render as a fragment for the request's target (the form or panel again,
  // with its error and the record's current state: 400, 409, 412, 422) is swapped in like a
  // success, so the user sees why and what is true now. A whole page (an error page has <html>)
  // or a plain-text answer is not swapped; the handler below reports it instead.
  var SWAPPED_REFUSALS = [400, 409, 412, 422];
  document.addEventListener("htmx:beforeSwap", function (e) {
    var xhr = e.detail.xhr;
    if (SWAPPED_REFUSALS.indexOf(xhr.status) === -1) return;
    var body = xhr.responseText || "";
    var type = xhr.getResponseHeader("Content-Type") || "";
    if (type.indexOf("text/html") !== 0 || !/^\s*</.test(body) || /<html[\s>]|<!doctype/i.test(body)) return;
    e.detail.shouldSwap = true;
    e.detail.isError = false;
  });

  // A failed htmx request must not fail silently.
  document.addEventListener("htmx:responseError", function (e) {
    var box = document.getElementById("messages");
    if (!box) return;
    var xhr = e.detail.xhr;
    var div = document.createElement("div");
    div.className = "alert alert-danger py-2";
    div.setAttribute("role", "alert");
    div.textContent = errorText(xhr);
    box.replaceChildren(div);
  });
})();
