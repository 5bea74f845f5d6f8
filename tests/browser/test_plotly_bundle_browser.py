"""In the browser, the figures are drawn by the app's own plotly.js bundle.

dcc.Graph uses ``window.Plotly`` when a script has defined it (assets/vendor/
plotly-explorer.min.js) and only otherwise fetches plotly.py's full 4.8 MB
plotly.min.js. Checked here: the full bundle is never requested on a page with
figures, the one in use is plotly.py's plotly.js version, and it has every trace type
the pages draw (sankey on the definition page, box, bar and scatter elsewhere).
"""

from __future__ import annotations

import pytest
from plotly.offline import get_plotlyjs_version

from components import ids

pytestmark = pytest.mark.browser


def test_pages_draw_with_the_apps_plotly_bundle(start_app):
    duo = start_app()
    for name in ("overview", "definition"):
        path, ready = ids.PAGE_READY[name]
        duo.wait_for_page(url=duo.server_url + path, timeout=30)
        duo.wait_for_element(ready, timeout=30)
    # the definition page's flow diagram is a sankey trace: drawn, not an empty plot
    duo.wait_for_element("#def-flow .sankey", timeout=30)
    version, traces, fetched = duo.driver.execute_script(
        "return [Plotly.version, Object.keys(Plotly.PlotSchema.get().traces),"
        " performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => n.includes('plotly'))]")
    assert version == get_plotlyjs_version()
    assert {"scatter", "bar", "box", "sankey"} <= set(traces)
    assert not [n for n in fetched if "package_data/plotly.min.js" in n], fetched
    assert any("/assets/vendor/plotly-explorer.min.js" in n for n in fetched), fetched
    assert duo.get_logs() == []
