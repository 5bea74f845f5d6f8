// Clientside callbacks of the app shell (registered in shell/clientside.py).
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    shell: {
        // the page's title from the router
        setTitle: function (title) {
            if (title) { document.title = title; }
            return window.dash_clientside.no_update;
        },
        // "40 to 80" under a range slider
        rangeText: function (value) {
            if (!value) { return window.dash_clientside.no_update; }
            const f = (x) => Number(x).toLocaleString('en-US', {maximumFractionDigits: 2});
            return f(value[0]) + ' to ' + f(value[1]);
        },
        // presentation mode: a class on <html> that assets/app.css styles
        presentation: function (on) {
            document.documentElement.classList.toggle('presentation', Boolean(on));
            return window.dash_clientside.no_update;
        },
        // a figure's "SVG" button: the drawn figure with its caption band
        svgExport: function (n, filename, id) {
            if (!n) { return window.dash_clientside.no_update; }
            const host = document.getElementById(id.graph);
            const el = host && host.querySelector('.js-plotly-plot');
            if (el && window.explorerDownloadImage) {  // assets/figure_export.js
                window.explorerDownloadImage(el, 'svg', filename);
            }
            return window.dash_clientside.no_update;
        }
    }
});
