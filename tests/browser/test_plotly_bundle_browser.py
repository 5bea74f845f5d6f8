"""In the browser: figures drawn by the app's own plotly.js bundle, component code preloaded.

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
    # every trace type: bar and scatter (overview), box (progression's box chart),
    # the forest plot (comparison), sankey (definition)
    for name, query in (("overview", ""), ("progression", "?chart=box"), ("comparison", ""),
                        ("definition", "")):
        path, ready = ids.PAGE_READY[name]
        duo.wait_for_page(url=duo.server_url + path + query, timeout=30)
        duo.wait_for_element(ready, timeout=30)
        if name == "progression":  # a box trace drawn, not an empty plot
            duo.wait_for_element("#pr-distribution .boxlayer .trace", timeout=30)
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


def test_graph_and_slider_code_is_fetched_once_before_the_layout(start_app):
    # assets/preload_chunks.js asks for dcc's lazily loaded Graph and Slider code with
    # the page's scripts; dcc must then find it ready instead of fetching it again
    # after the first render (a second request, or one after /_dash-layout, would mean
    # the preload no longer registers with dcc's loader)
    duo = start_app()
    path, ready = ids.PAGE_READY["overview"]
    duo.wait_for_page(url=duo.server_url + path, timeout=30)
    duo.wait_for_element(ready, timeout=30)
    entries = duo.driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => [e.name, e.startTime])")
    layout_at = next(t for n, t in entries if n.endswith("/_dash-layout"))
    for chunk in ("async-graph.js", "async-slider.js"):
        starts = [t for n, t in entries if n.split("?")[0].endswith("/dcc/" + chunk)]
        assert len(starts) == 1, (chunk, starts)
        assert starts[0] < layout_at, (chunk, starts[0], layout_at)
    assert duo.get_logs() == []
