/*
 * IVUS study explorer: the modebar's image downloads carry the figure's caption.
 *
 * Every figure records its footnote lines (n, filters, model, simulated label) in
 * layout.meta.footnote (components/figures/base.py); on the page they are the caption
 * under the figure. A downloaded PNG or SVG gets them as a band below the plot whose
 * height follows the number of lines, like the server's exports
 * (components/static_images.py). Plotly's own camera button is replaced by one that
 * does this, and "Download plot as SVG" is added next to it. The file name is the
 * figure's toImageButtonOptions.filename, e.g. dpav_ls_means_2026-11-25.svg.
 * dcc.Graph draws with the global Plotly.react, so wrapping it once, when plotly.js
 * has loaded, adds the buttons to every figure.
 */
(function () {
    'use strict';
    var NAME = 'downloadSvg';
    var PNG = 'downloadPngCaption';
    var LINE_PX = 15;

    function wrap(lines, chars) {
        var out = [];
        lines.forEach(function (line) {
            var cur = '';
            String(line).split(' ').forEach(function (word) {
                if (cur && (cur + ' ' + word).length > chars) { out.push(cur); cur = word; }
                else { cur = cur ? cur + ' ' + word : word; }
            });
            out.push(cur);
        });
        return out;
    }

    function captioned(gd) {
        var full = gd._fullLayout || {};
        var layout = JSON.parse(JSON.stringify(gd.layout || {}));
        var width = full.width || 900;
        var height = full.height || 480;
        // the margins as drawn (automargin included), so the band starts below the axis
        var margin = full._size || full.margin || {l: 60, b: 60};
        var lines = wrap(((gd.layout && gd.layout.meta) || {}).footnote || [],
                         Math.max(40, Math.floor((width - 16) / 6.2)));
        if (!lines.length || !lines[0]) {
            return {figure: {data: gd.data, layout: layout}, width: width, height: height};
        }
        var band = LINE_PX * lines.length + 14;
        layout.margin = Object.assign({}, layout.margin || {}, {b: (margin.b || 60) + band});
        layout.annotations = (layout.annotations || []).concat([{
            text: lines.join('<br>'), xref: 'paper', yref: 'paper', x: 0, y: 0,
            xanchor: 'left', yanchor: 'top', align: 'left', showarrow: false,
            xshift: 8 - (margin.l || 60), yshift: -(margin.b || 60) - 4,
            font: {size: 11, color: '#333'}
        }]);
        layout.height = height + band;
        layout.width = width;
        return {figure: {data: gd.data, layout: layout}, width: width, height: height + band};
    }

    function download(P, gd, format, opts) {
        var c = captioned(gd);
        return P.downloadImage(c.figure, {
            format: format, filename: opts.filename, width: c.width, height: c.height,
            scale: format === 'png' ? (opts.scale || 1) : 1
        });
    }
    window.explorerDownloadImage = function (gd, format, filename) {
        var P = window.Plotly;
        return P && download(P, gd, format, {filename: filename, scale: 1});
    };

    function svgButton(P, opts) {
        return {
            name: NAME,
            title: 'Download plot as SVG',
            icon: (P.Icons && (P.Icons.disk || P.Icons.camera)),
            click: function (gd) { download(P, gd, 'svg', opts); }
        };
    }

    function pngButton(P, opts) {
        return {
            name: PNG,
            title: 'Download plot as PNG (high resolution, with its caption)',
            icon: (P.Icons && P.Icons.camera),
            click: function (gd) { download(P, gd, 'png', opts); }
        };
    }

    function withSvg(P, config) {
        var out = Object.assign({}, config || {});
        var opts = out.toImageButtonOptions;
        if (!opts || !opts.filename) {
            return out;
        }
        var others = (out.modeBarButtonsToAdd || []).filter(function (b) {
            return !b || (b.name !== NAME && b.name !== PNG);
        });
        out.modeBarButtonsToAdd = others.concat([pngButton(P, opts), svgButton(P, opts)]);
        out.modeBarButtonsToRemove = (out.modeBarButtonsToRemove || []).concat(['toImage']);
        return out;
    }

    function patch(P) {
        if (P.__explorerSvgExport) {
            return;
        }
        P.__explorerSvgExport = true;
        ['react', 'newPlot'].forEach(function (name) {
            var original = P[name];
            if (typeof original !== 'function') {
                return;
            }
            P[name] = function (gd, data, layout, config) {
                if (arguments.length === 2 && data && !Array.isArray(data) &&
                        typeof data === 'object') {
                    return original.call(P, gd, Object.assign({}, data, {
                        config: withSvg(P, data.config)
                    }));
                }
                return original.call(P, gd, data, layout, withSvg(P, config));
            };
        });
    }

    var timer = setInterval(function () {
        if (window.Plotly && typeof window.Plotly.react === 'function') {
            patch(window.Plotly);
            clearInterval(timer);
        }
    }, 20);
}());
