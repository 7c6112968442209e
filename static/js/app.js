/* Behaviour shared by every page. No inline scripts: the CSP allows only files from /static/. */
(function () {
  "use strict";

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
            datasets: [{ label: "Average sentiment", data: rows.map(function (r) { return r.avg; }),
              borderColor: "#0d6efd", backgroundColor: "rgba(13,110,253,.15)", fill: true, tension: .3 }]
          },
          options: { scales: { y: { min: -2, max: 2, ticks: { stepSize: 1 } } }, plugins: { legend: { display: false } } }
        });
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:afterSettle", function (e) { drawCharts(e.target); });

  // A failed htmx request must not fail silently.
  document.addEventListener("htmx:responseError", function (e) {
    var box = document.getElementById("messages");
    if (!box) return;
    var xhr = e.detail.xhr;
    var div = document.createElement("div");
    div.className = "alert alert-danger py-2";
    div.setAttribute("role", "alert");
    div.textContent = xhr.status === 403 ? "You may not do that." :
      (xhr.responseText && xhr.responseText.length < 300 ? xhr.responseText : "Something went wrong; please try again.");
    box.replaceChildren(div);
  });
})();
