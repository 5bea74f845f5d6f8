/*
 * IVUS study explorer: adds "Download plot as SVG" to the modebar of every figure,
 * next to the camera (high-resolution PNG). The file name is the figure's
 * toImageButtonOptions.filename (set in components/figures.py), e.g.
 * dpav_ls_means_2026-11-25.svg. dcc.Graph draws with the global Plotly.react, so
 * wrapping it once, when plotly.js has loaded, adds the button to every figure.
 */
(function () {
    'use strict';
    var NAME = 'downloadSvg';

    function svgButton(P, filename) {
        return {
            name: NAME,
            title: 'Download plot as SVG',
            icon: (P.Icons && (P.Icons.disk || P.Icons.camera)),
            click: function (gd) {
                P.downloadImage(gd, {format: 'svg', filename: filename});
            }
        };
    }

    function withSvg(P, config) {
        var out = Object.assign({}, config || {});
        var opts = out.toImageButtonOptions;
        if (!opts || !opts.filename) {
            return out;
        }
        var others = (out.modeBarButtonsToAdd || []).filter(function (b) {
            return !b || b.name !== NAME;
        });
        out.modeBarButtonsToAdd = others.concat([svgButton(P, opts.filename)]);
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
