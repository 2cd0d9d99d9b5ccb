// The indicator dashboard's charts (ECharts, vendored). The figures come from the page's
// <script type="application/json" id="dashboard-data"> block; the tables below the charts hold the same
// figures, so the page works without this script. A bar of a child unit opens that unit's dashboard.
(function () {
  "use strict";

  const GREEN = "#0b5e4f";
  const URBAN = "#2563eb";
  const RURAL = "#d97706";
  const TARGET = "#dc2626";

  function readData() {
    const block = document.getElementById("dashboard-data");
    if (!block) return null;
    try {
      return JSON.parse(block.textContent || "null");
    } catch (error) {
      return null;
    }
  }

  function percent(value) {
    return value === null || value === undefined ? "—" : value.toFixed(2) + "%";
  }

  function targetLine(value, name, color) {
    if (value === null || value === undefined) return undefined;
    return {
      symbol: "none",
      silent: true,
      lineStyle: { color: color, type: "dashed", width: 2 },
      label: { formatter: name + " " + value + "%", position: "insideEndTop", color: color },
      data: [{ yAxis: value }],
    };
  }

  // The value axis reaches just above the largest rate or target (so small rates stay visible), at most 100%.
  function axisMax(values, targets) {
    const all = values.concat(targets).filter((v) => v !== null && v !== undefined);
    const top = all.length ? Math.max.apply(null, all) : 0;
    if (top <= 0) return 1;
    if (top > 100) return Math.ceil(top / 10) * 10;
    const step = Math.pow(10, Math.floor(Math.log10(top)));
    const nice = [1, 2, 2.5, 5, 10].map((m) => m * step).find((m) => m >= top * 1.05);
    return Math.min(100, nice || 100);
  }

  const baseOption = {
    animation: false,
    grid: { left: 16, right: 32, top: 36, bottom: 12, containLabel: true },
    tooltip: { trigger: "axis", valueFormatter: percent },
    textStyle: { fontFamily: "'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif" },
  };

  function categoryAxis(names) {
    return { type: "category", data: names, axisLabel: { interval: 0, rotate: names.length > 12 ? 40 : 0 } };
  }

  function valueAxis(max) {
    return { type: "value", min: 0, max: max, axisLabel: { formatter: "{value}%" } };
  }

  function unitsOption(data) {
    const units = data.units;
    return Object.assign({}, baseOption, {
      xAxis: categoryAxis(units.names),
      yAxis: valueAxis(axisMax(units.rates, [data.target])),
      series: [
        {
          name: data.indicator,
          type: "bar",
          data: units.rates,
          itemStyle: { color: GREEN },
          cursor: "pointer",
          label: { show: units.names.length <= 16, position: "top", formatter: (p) => percent(p.value) },
          markLine: targetLine(data.target, "目标", TARGET),
        },
      ],
    });
  }

  function areasOption(data) {
    const areas = data.areas;
    return Object.assign({}, baseOption, {
      legend: { data: ["城镇", "乡村"], top: 0 },
      xAxis: categoryAxis(areas.names),
      yAxis: valueAxis(axisMax(areas.urban.concat(areas.rural), [areas.urban_target, areas.rural_target])),
      series: [
        { name: "城镇", type: "bar", data: areas.urban, itemStyle: { color: URBAN },
          markLine: targetLine(areas.urban_target, "城镇目标", URBAN) },
        { name: "乡村", type: "bar", data: areas.rural, itemStyle: { color: RURAL },
          markLine: targetLine(areas.rural_target, "乡村目标", RURAL) },
      ],
    });
  }

  function trendOption(data) {
    const trend = data.trend;
    return Object.assign({}, baseOption, {
      xAxis: { type: "category", data: trend.months, boundaryGap: false },
      yAxis: valueAxis(axisMax(trend.rates, [data.target])),
      series: [
        {
          name: data.indicator,
          type: "line",
          data: trend.rates,
          connectNulls: false,
          symbolSize: 7,
          itemStyle: { color: GREEN },
          markLine: targetLine(data.target, "目标", TARGET),
        },
      ],
    });
  }

  const OPTIONS = { units: unitsOption, areas: areasOption, trend: trendOption };

  function draw() {
    const data = readData();
    if (!data || typeof window.echarts === "undefined") return;
    const charts = [];
    document.querySelectorAll("[data-chart]").forEach((element) => {
      const build = OPTIONS[element.getAttribute("data-chart")];
      if (!build) return;
      const chart = window.echarts.init(element, null, { renderer: "canvas", locale: "ZH" });
      chart.on("finished", () => element.setAttribute("data-rendered", "true"));
      chart.setOption(build(data));
      if (element.getAttribute("data-chart") === "units") {
        chart.on("click", (params) => {
          const target = data.units.urls[params.dataIndex];
          if (target) window.location.assign(target + "#focus");
        });
      }
      charts.push(chart);
    });
    let pending = null;
    window.addEventListener("resize", () => {
      if (pending) window.clearTimeout(pending);
      pending = window.setTimeout(() => charts.forEach((chart) => chart.resize()), 150);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
