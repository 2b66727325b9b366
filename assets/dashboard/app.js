// minqing dashboard: draws the charts the server described in `data-chart` attributes with
// Apache ECharts (vendored, /assets/echarts.min.js), and turns a click on a bar or a
// heatmap cell into the case list filtered by it. No inline script anywhere: the pages are
// served with a Content-Security-Policy that forbids it.
(function () {
  'use strict';

  // The case list for the current filters (`data-base`, the page's query string) plus the
  // clicked values.
  function casesUrl(base, extra) {
    var q = new URLSearchParams(base || '');
    Object.keys(extra).forEach(function (k) { q.set(k, extra[k]); });
    q.delete('page');
    return '/cases?' + q.toString();
  }

  // tooltips are drawn on the canvas (richText): ECharts' HTML tooltips carry style
  // attributes the CSP refuses. Animation is off for those who ask for less motion.
  var still = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;

  var palette = ['#c23531', '#2f4554', '#61a0a8', '#d48265', '#91c7ae', '#749f83', '#ca8622'];

  function bar(spec) {
    return {
      color: palette,
      title: { text: spec.title, textStyle: { fontSize: 14 } },
      tooltip: { trigger: 'axis', renderMode: 'richText' },
      grid: { left: 48, right: 16, top: 40, bottom: 72 },
      xAxis: { type: 'category', data: spec.categories, axisLabel: { rotate: 40, interval: 0 } },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ type: 'bar', data: spec.values, cursor: 'pointer' }],
    };
  }

  // Daily counts per source: points are [day, source, cases].
  function trend(spec) {
    var days = [], sources = [];
    spec.points.forEach(function (p) {
      if (days.indexOf(p[0]) < 0) days.push(p[0]);
      if (sources.indexOf(p[1]) < 0) sources.push(p[1]);
    });
    days.sort();
    var names = { petition: '信访', hotline: '12345', message: '留言板', opinion: '舆情' };
    var series = sources.map(function (s) {
      var byDay = {};
      spec.points.forEach(function (p) { if (p[1] === s) byDay[p[0]] = p[2]; });
      return { name: names[s] || s, type: 'line', showSymbol: false,
               data: days.map(function (d) { return byDay[d] || 0; }) };
    });
    return {
      color: palette,
      title: { text: spec.title, textStyle: { fontSize: 14 } },
      tooltip: { trigger: 'axis', renderMode: 'richText' },
      legend: { top: 0, right: 0 },
      grid: { left: 48, right: 16, top: 40, bottom: 32 },
      xAxis: { type: 'category', data: days },
      yAxis: { type: 'value', minInterval: 1 },
      series: series,
    };
  }

  // Cells are [town, topic, cases]: topics across, towns down.
  function heatmap(spec) {
    var xs = [], ys = [], max = 1;
    spec.cells.forEach(function (c) {
      if (xs.indexOf(c[1]) < 0) xs.push(c[1]);
      if (ys.indexOf(c[0]) < 0) ys.push(c[0]);
      max = Math.max(max, c[2]);
    });
    return {
      title: { text: spec.title, textStyle: { fontSize: 14 } },
      tooltip: { position: 'top', renderMode: 'richText' },
      grid: { left: 96, right: 24, top: 40, bottom: 80 },
      xAxis: { type: 'category', data: xs, axisLabel: { rotate: 30, interval: 0 } },
      yAxis: { type: 'category', data: ys },
      visualMap: { min: 0, max: max, calculable: false, orient: 'horizontal', left: 'center', bottom: 0,
                   inRange: { color: ['#fdf2e9', '#c23531'] } },
      series: [{ type: 'heatmap', cursor: 'pointer', label: { show: true },
                 data: spec.cells.map(function (c) { return [xs.indexOf(c[1]), ys.indexOf(c[0]), c[2]]; }) }],
    };
  }

  function draw(el) {
    var spec = JSON.parse(el.getAttribute('data-chart'));
    var base = el.getAttribute('data-base');
    var chart = echarts.init(el, null, { renderer: 'canvas' });
    var option = spec.kind === 'bar' ? bar(spec) : spec.kind === 'heatmap' ? heatmap(spec) : trend(spec);
    option.animation = !still;
    chart.setOption(option);
    if (spec.kind === 'bar') {
      chart.on('click', function (p) {
        var extra = {}; extra[spec.param] = p.name;
        window.location.href = casesUrl(base, extra);
      });
    } else if (spec.kind === 'heatmap') {
      chart.on('click', function (p) {
        var extra = {};
        extra[spec.xparam] = option.xAxis.data[p.value[0]];
        extra[spec.yparam] = option.yAxis.data[p.value[1]];
        window.location.href = casesUrl(base, extra);
      });
    }
    window.addEventListener('resize', function () { chart.resize(); });
  }

  document.addEventListener('DOMContentLoaded', function () {
    if (typeof echarts === 'undefined') return;
    Array.prototype.forEach.call(document.querySelectorAll('.chart[data-chart]'), draw);
  });
})();
