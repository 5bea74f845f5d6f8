/*
 * IVUS study explorer: fetch the code of dcc's Graph and Slider with the page's other
 * scripts, not after the first render.
 *
 * dcc loads each component's code when it is first drawn (async-graph.js, ...), and
 * Dash sends a callback that fills a component only once that code is there. On a fresh
 * page the filter panel's sliders were drawn, then their code fetched, and only then
 * the first callbacks sent; the Overview's figure likewise waited for async-graph.js
 * before its callback went out. These chunks register themselves with dcc's loader
 * when they arrive (webpack's chunk array), so fetching them now lets dcc find them
 * ready. Every page draws a slider (the filter panel) and most a graph.
 */
(function () {
    'use strict';
    var config = document.getElementById('_dash-config');
    var prefix = '/';
    try {
        prefix = JSON.parse(config.textContent).requests_pathname_prefix || '/';
    } catch (e) { /* no config: Dash serves from the root */ }
    ['slider', 'graph'].forEach(function (name) {
        var script = document.createElement('script');
        script.src = prefix + '_dash-component-suites/dash/dcc/async-' + name + '.js';
        script.async = true;
        document.head.appendChild(script);
    });
}());
