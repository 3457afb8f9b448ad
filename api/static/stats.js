// 效能统计: the page's charts, drawn with the vendored Chart.js from the figures the page embeds.
(function () {
  "use strict";
  function draw() {
    var node = document.getElementById("stats-data");
    if (!node || typeof Chart === "undefined") return;
    var d = JSON.parse(node.textContent);
    var en = d.lang === "en";
    Chart.defaults.font.family =
      "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Microsoft YaHei', 'onetrip CJK', system-ui, sans-serif";
    Chart.defaults.animation = false;
    function bar(id, labels, sets, opts) {
      var el = document.getElementById(id);
      if (!el) return;
      el.chart = new Chart(el, {
        type: "bar",
        data: { labels: labels, datasets: sets },
        options: Object.assign({ responsive: true, scales: { y: { beginAtZero: true } } }, opts || {}),
      });
    }
    bar("chart-departments", d.departments, [
      { label: en ? "median" : "中位数", data: d.median, backgroundColor: "#3b6fb6" },
      { label: en ? "90th percentile" : "90分位", data: d.p90, backgroundColor: "#e39b3b" },
    ]);
    bar("chart-ontime", d.departments, [
      { label: en ? "on time %" : "按期率 %", data: d.onTime, backgroundColor: "#3a9a5b" },
    ], { scales: { y: { beginAtZero: true, max: 100 } } });
    bar("chart-ratings", ["1", "2", "3", "4", "5"], [
      { label: en ? "ratings" : "评价数", data: d.ratings,
        backgroundColor: ["#c0392b", "#e67e22", "#f1c40f", "#7fb86a", "#2e8b57"] },
    ]);
    var days = {};
    d.permit.forEach(function (p) { days[p[0]] = (days[p[0]] || [0, 0]); days[p[0]][0] += p[1]; });
    d.permitOther.forEach(function (p) { days[p[0]] = (days[p[0]] || [0, 0]); days[p[0]][1] += p[1]; });
    var keys = Object.keys(days).map(Number).sort(function (a, b) { return a - b; });
    bar("chart-permit", keys, [
      { label: en ? "standard-plot projects" : "标准地项目", data: keys.map(function (k) { return days[k][0]; }), backgroundColor: "#3b6fb6" },
      { label: en ? "other projects" : "其他项目", data: keys.map(function (k) { return days[k][1]; }), backgroundColor: "#9aa5b1" },
    ], { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } });
    document.body.setAttribute("data-charts", "ready");
  }
  // a canvas does not make the browser fetch the page's Chinese font: load it first
  function start() {
    if (document.fonts && document.fonts.load) {
      document.fonts.load("12px 'onetrip CJK'", "部门审批").then(draw, draw);
    } else {
      draw();
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
