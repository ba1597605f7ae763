// 监督看板: draws the figures (the JSON block #dashboard-data) with ECharts into the .chart boxes above
// each table. A bar of the overdue charts opens its cases (案件查询, filtered); the tables below stay the
// accessible version of every chart, with the same links.
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var charts = {};
  window.socorgCharts = charts; // for tests and the browser console
  var TEXT = { fontFamily: "system-ui, 'PingFang SC', 'Microsoft YaHei', sans-serif" };

  function draw(id, option, empty) {
    var box = document.getElementById(id);
    if (!box) { return null; }
    if (empty) { box.classList.add("chart-empty"); box.textContent = "暂无数据"; return null; }
    var chart = echarts.init(box, null, { renderer: "canvas", locale: "ZH" });
    option.textStyle = TEXT;
    option.tooltip = option.tooltip || { trigger: "axis" };
    option.grid = option.grid || { left: 48, right: 16, top: 32, bottom: 48, containLabel: true };
    chart.setOption(option);
    charts[id] = chart;
    return chart;
  }

  function bars(id, series, name) {
    var chart = draw(id, {
      xAxis: { type: "category", data: series.labels, axisLabel: { interval: 0, rotate: series.labels.length > 4 ? 30 : 0 } },
      yAxis: { type: "value", name: "件", minInterval: 1 },
      series: [{ type: "bar", name: name, data: series.values, cursor: "pointer", itemStyle: { color: "#c2410c" } }]
    }, !series.values.length);
    if (chart) {
      chart.on("click", function (event) {
        var link = series.links[event.dataIndex];
        if (link) { window.location.assign(link); }
      });
    }
  }

  bars("chart-overdue-region", data.overdueRegion, "超期任务");
  bars("chart-overdue-process", data.overdueProcess, "超期任务");

  draw("chart-on-time", {
    legend: { data: ["按期办结率", "办结任务"] },
    xAxis: { type: "category", data: data.onTime.months },
    yAxis: [{ type: "value", name: "%", min: 0, max: 100 }, { type: "value", name: "件", minInterval: 1 }],
    series: [
      { type: "line", name: "按期办结率", data: data.onTime.rates, connectNulls: true },
      { type: "bar", name: "办结任务", yAxisIndex: 1, data: data.onTime.completed, itemStyle: { color: "#cbd5e1" } }
    ]
  }, !data.onTime.months.length);

  draw("chart-registration", {
    legend: { data: ["中位数", "平均"] },
    xAxis: { type: "category", data: data.registration.months },
    yAxis: { type: "value", name: "工作日" },
    series: [
      { type: "bar", name: "中位数", data: data.registration.median },
      { type: "line", name: "平均", data: data.registration.mean, connectNulls: true }
    ]
  }, !data.registration.months.length);

  draw("chart-zombies", {
    tooltip: { trigger: "item", formatter: "{b}：{c} 家（{d}%）" },
    series: [{ type: "pie", name: "清理结果", radius: ["35%", "65%"], data: data.zombies,
               label: { formatter: "{b} {c}" } }]
  }, !data.zombies.length);

  var party = [
    { type: "line", name: "组织覆盖率", data: data.party.organization },
    { type: "line", name: "工作覆盖率", data: data.party.work }
  ];
  if (data.party.provincial) { party.push({ type: "line", name: "全省性组织覆盖率", data: data.party.provincial }); }
  draw("chart-party", {
    legend: { data: party.map(function (s) { return s.name; }) },
    xAxis: { type: "category", data: data.party.months },
    yAxis: { type: "value", name: "%", min: 0, max: 100 },
    series: party
  }, !data.party.months.length);

  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (id) { charts[id].resize(); });
  });
}());
