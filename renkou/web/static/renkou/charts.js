// Charts: each <div class="chart" data-option="ID"> is drawn with ECharts from the JSON in
// <script type="application/json" id="ID"> (data, not code, so the CSP allows it). Every
// chart on a page also has its table, so nothing is only in a picture.
(function () {
  function draw(root) {
    root.querySelectorAll("div.chart[data-option]").forEach(function (el) {
      var source = document.getElementById(el.dataset.option);
      if (!source || el.dataset.drawn) return;
      var chart = echarts.init(el, null, { renderer: "svg" });
      var option = JSON.parse(source.textContent);
      if (option.xAxis && option.xAxis.absolute) {
        // a pyramid: one side drawn as negative bars, every number shown without its sign
        var abs = function (v) { return Math.abs(v).toLocaleString(); };
        option.xAxis.axisLabel = { formatter: abs };
        option.tooltip.valueFormatter = abs;
        delete option.xAxis.absolute;
      }
      chart.setOption(option);
      el.dataset.drawn = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.target); });
})();
