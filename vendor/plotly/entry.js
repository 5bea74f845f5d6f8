// The plotly.js the explorer's pages load: the core (which holds the scatter trace)
// and the other trace types its figure factories draw. A trace type added to a figure
// in components/ must be added here and the bundle rebuilt (./build.sh);
// tests/unit/components/test_plotly_bundle.py checks the two lists agree.
var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/box'),
    require('plotly.js/lib/sankey'),
]);

module.exports = Plotly;
