/* The dashboard's charts (Apache ECharts, served locally). Data and labels come from the page
   (json_script "insights-charts"); a click on a bar, line point or village opens the list behind it. */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  var source = document.getElementById("insights-charts");
  if (!source || typeof window.echarts === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var L = data.labels;
  var printing = document.body.classList.contains("print-view");
  var palette = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"];
  var charts = [];

  function make(id, option, onClick) {
    var element = document.getElementById(id);
    if (!element) {
      return null;
    }
    var chart = window.echarts.init(element, null, { renderer: "svg" });
    option.animation = !printing;
    option.color = palette;
    chart.setOption(option);
    if (onClick) {
      chart.on("click", onClick);
    }
    element.setAttribute("data-ready", "true");
    charts.push(chart);
    return chart;
  }

  function go(url) {
    window.location.href = url;
  }

  make(
    "chart-daily",
    {
      tooltip: { trigger: "axis" },
      legend: { data: [L.requests, L.resolved], top: 0 },
      grid: { left: 40, right: 16, top: 32, bottom: 28 },
      xAxis: { type: "category", data: data.daily.days },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: L.requests, type: "bar", data: data.daily.total, cursor: "pointer" },
        { name: L.resolved, type: "line", data: data.daily.resolved, symbolSize: 4 },
      ],
    },
    function (event) {
      go(data.daily.url + encodeURIComponent(data.daily.days[event.dataIndex]));
    }
  );

  make(
    "chart-trend",
    {
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 40, right: 16, top: 32, bottom: 28 },
      xAxis: { type: "category", data: data.trend.weeks, boundaryGap: false },
      yAxis: { type: "value", minInterval: 1 },
      series: data.trend.series.map(function (s) {
        return { name: s.name, type: "line", data: s.data, symbolSize: 6, key: s.key };
      }),
    },
    function (event) {
      var series = data.trend.series[event.seriesIndex];
      if (series) {
        go(data.trend.url + encodeURIComponent(series.key));
      }
    }
  );

  if (data.map.points.length) {
    var top = Math.max.apply(null, data.map.points.map(function (p) { return p.total; })) || 1;
    var lats = data.map.points.map(function (p) { return p.lat; });
    var lons = data.map.points.map(function (p) { return p.lon; });
    var pad = 0.02;
    var outlines = data.map.outlines.map(function (o) {
      return {
        name: o.name,
        type: "line",
        data: o.ring,
        showSymbol: false,
        silent: true,
        lineStyle: { color: "#94a3b8", width: 1, type: "dashed" },
        areaStyle: null,
        z: 1,
      };
    });
    make(
      "chart-map",
      {
        tooltip: {
          trigger: "item",
          formatter: function (item) {
            var p = item.data.point;
            if (!p) {
              return "";
            }
            return (p.township ? p.township + " " : "") + p.name + "<br>" + L.requests + ": " + p.total +
              "<br>" + L.open + ": " + p.open + "<br>" + L.overdue + ": " + p.overdue + "<br><small>" + L.click + "</small>";
          },
        },
        grid: { left: 48, right: 16, top: 16, bottom: 32 },
        xAxis: { type: "value", name: L.longitude, scale: true, min: Math.min.apply(null, lons) - pad,
                 max: Math.max.apply(null, lons) + pad, axisLabel: { formatter: function (v) { return v.toFixed(2); } },
                 splitLine: { show: false } },
        yAxis: { type: "value", name: L.latitude, scale: true, min: Math.min.apply(null, lats) - pad,
                 max: Math.max.apply(null, lats) + pad, axisLabel: { formatter: function (v) { return v.toFixed(2); } },
                 splitLine: { show: false } },
        series: outlines.concat([
          {
            type: "scatter",
            cursor: "pointer",
            z: 3,
            data: data.map.points.map(function (p) {
              return {
                value: [p.lon, p.lat],
                point: p,
                symbolSize: 6 + 22 * Math.sqrt(p.total / top),
                itemStyle: { color: p.overdue ? "#dc2626" : "#2563eb", opacity: 0.6 },
              };
            }),
          },
        ]),
      },
      function (event) {
        if (event.data && event.data.point) {
          go(data.map.url + encodeURIComponent(event.data.point.key));
        }
      }
    );
  }

  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
  window.addEventListener("beforeprint", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
