// Charts on the work committee's home page (ECharts, served by the app).
(function () {
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function draw() {
    if (!window.echarts) return;
    var red = "#c8161d", amber = "#e6a23c", grey = "#8c939d";
    var ranking = data("ranking-data");
    var rankEl = document.getElementById("chart-ranking");
    if (rankEl && ranking && ranking.names.length) {
      rankEl.style.height = Math.max(180, ranking.names.length * 28 + 40) + "px";
      var c1 = echarts.init(rankEl);
      c1.setOption({
        grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
        tooltip: { trigger: "axis" },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", data: ranking.names, axisLabel: { width: 150, overflow: "truncate" } },
        series: [{ type: "bar", name: "违规", data: ranking.counts, itemStyle: { color: red } }],
      });
      window.addEventListener("resize", function () { c1.resize(); });
    } else if (rankEl) {
      rankEl.style.display = "none";
    }
    var months = data("months-data");
    var monthEl = document.getElementById("chart-months");
    if (monthEl && months) {
      var c2 = echarts.init(monthEl);
      c2.setOption({
        grid: { left: 8, right: 8, top: 40, bottom: 8, containLabel: true },
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        xAxis: { type: "category", data: months.months },
        yAxis: [{ type: "value", name: "违规", minInterval: 1 }, { type: "value", name: "活动", minInterval: 1 }],
        series: [
          { type: "bar", name: "违规", stack: "f", data: months.violations, itemStyle: { color: red } },
          { type: "line", name: "开展活动", yAxisIndex: 1, data: months.activities, itemStyle: { color: grey } },
        ],
      });
      window.addEventListener("resize", function () { c2.resize(); });
    }
  }
  if (document.readyState === "complete") draw();
  else window.addEventListener("load", draw);
})();
