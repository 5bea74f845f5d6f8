"""Drawn figure geometry on every page, in normal and presentation mode, at laptop
(1440 x 900) and projector (1920 x 1080) sizes.

Read from the browser: plotly's own layout of each drawn figure
(``gd._fullLayout._size``: plot-area width/height and margins) and the bounding boxes of
its text. Screenshots of each page and mode go to tests/browser/screenshots/ (ignored by
git) to be looked at.
"""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from components import ids

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parent / "screenshots"
#: Pages with figures: path and the ids of every figure on it.
FIGURE_PAGES = {
    "overview": ("/", ("ov-ls-means",)),
    "progression": ("/progression", ("pr-distribution", "pr-paired", "pr-regression",
                                     "pr-dose")),
    "comparison": ("/comparison", ("cmp-ls-means", "cmp-forest")),
    "therapy": ("/therapy", ("th-cells-ldl_intensive", "th-curve-ldl_intensive",
                             "th-cells-sbp_intensive", "th-curve-sbp_intensive")),
}
SIZES = ((1440, 900), (1920, 1080))
#: Smallest share of a figure's height its plotting area keeps.
MIN_PLOT_SHARE = 0.55
#: Smallest font of any text in presentation mode (px).
MIN_PRESENTATION_FONT = 18
#: Slack for sub-pixel text boxes (px).
SLACK = 1.5

# Geometry of every figure on the page, as plotly drew it.
_GEOMETRY_JS = """
const out = [];
for (const id of arguments[0]) {
  const host = document.getElementById(id);
  const gd = host && host.querySelector('.js-plotly-plot');
  if (!gd || !gd._fullLayout) { out.push({id: id, missing: true}); continue; }
  const fl = gd._fullLayout, s = fl._size;
  const svg = gd.querySelector('.main-svg').getBoundingClientRect();
  const box = (r) => ({left: r.left - svg.left, top: r.top - svg.top,
                       right: r.right - svg.left, bottom: r.bottom - svg.top});
  const texts = [];
  for (const el of gd.querySelectorAll(
      '.xtick text, .ytick text, .g-xtitle text, .g-ytitle text, .legendtext, '
      + '.annotation-text, .gtitle')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) { continue; }
    texts.push({text: el.textContent, cls: el.getAttribute('class'),
                font: parseFloat(getComputedStyle(el).fontSize), ...box(r)});
  }
  const legend = gd.querySelector('.legend');
  out.push({id: id, height: fl.height, width: fl.width, plot_h: s.h, plot_w: s.w,
            l: s.l, t: s.t, traces: gd.data.length, texts: texts,
            legend: legend && fl.showlegend ? box(legend.getBoundingClientRect()) : null});
}
return out;
"""

# Captions under the figures and every visible element of the filter panel.
_PAGE_JS = """
const caps = Array.from(document.querySelectorAll('.figure-caption'))
  .filter((e) => e.checkVisibility() && e.textContent.trim())
  .map((e) => ({id: e.id, font: parseFloat(getComputedStyle(e).fontSize),
                text: e.textContent}));
const panel = Array.from(document.querySelectorAll('.explorer-sidebar, .explorer-sidebar *'))
  .filter((e) => e.checkVisibility()).length;
return {captions: caps, panel_visible: panel};
"""


def _wait_figures(dash_duo, figure_ids, timeout: float = 60) -> list[dict]:
    """Geometry once every figure has data and its size has stopped changing."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        spinners = dash_duo.driver.find_elements(By.CSS_SELECTOR, ".dash-spinner, "
                                                                  "._dash-loading")
        geo = dash_duo.driver.execute_script(_GEOMETRY_JS, list(figure_ids))
        ready = not spinners and all(not g.get("missing") and g["traces"] > 0 for g in geo)
        sizes = [(g.get("height"), g.get("width"), g.get("plot_h")) for g in geo]
        if ready and sizes == last:
            return geo
        last = sizes if ready else None
        time.sleep(0.5)
    raise AssertionError(f"figures not drawn within {timeout} s: {figure_ids}")


def _full_page_screenshot(driver, path: Path) -> None:
    """The whole page (beyond the viewport) as PNG."""
    shot = driver.execute_cdp_cmd("Page.captureScreenshot",
                                  {"format": "png", "captureBeyondViewport": True})
    path.write_bytes(base64.b64decode(shot["data"]))


def _overlaps(a: dict, b: dict) -> bool:
    return (min(a["right"], b["right"]) - max(a["left"], b["left"]) > SLACK
            and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > SLACK)


def _check_figure(g: dict, presentation: bool) -> list[str]:
    """What is wrong with one drawn figure (empty when nothing)."""
    problems = []
    share = g["plot_h"] / g["height"]
    if share < MIN_PLOT_SHARE:
        problems.append(f"{g['id']}: plot area {g['plot_h']:.0f} of {g['height']:.0f} px "
                        f"({share:.0%})")
    for t in g["texts"]:
        inside = (t["left"] >= -SLACK and t["top"] >= -SLACK
                  and t["right"] <= g["width"] + SLACK and t["bottom"] <= g["height"] + SLACK)
        if not inside:
            problems.append(f"{g['id']}: text {t['text']!r} ({t['cls']}) clipped at "
                            f"{t['left']:.0f},{t['top']:.0f}-{t['right']:.0f},"
                            f"{t['bottom']:.0f} in {g['width']:.0f}x{g['height']:.0f}")
        if presentation and t["font"] < MIN_PRESENTATION_FONT:
            problems.append(f"{g['id']}: text {t['text']!r} at {t['font']} px")
    plot = {"left": g["l"], "top": g["t"], "right": g["l"] + g["plot_w"],
            "bottom": g["t"] + g["plot_h"]}
    if g["legend"] is not None and _overlaps(g["legend"], plot):
        problems.append(f"{g['id']}: legend {g['legend']} covers the plot area {plot}")
    return problems


@pytest.mark.parametrize("presentation", [False, True], ids=["normal", "presentation"])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_figures_hold_at_every_size(dash_duo, start_app, size, presentation):
    width, height = size
    start_app(width, height)
    SHOTS.mkdir(exist_ok=True)
    mode = "presentation" if presentation else "normal"
    problems = []
    for name, (path, figure_ids) in FIGURE_PAGES.items():
        url = dash_duo.server_url + path + ("?present=1" if presentation else "")
        dash_duo.wait_for_page(url=url, timeout=30)
        dash_duo.wait_for_element(ids.PAGE_READY[name][1], timeout=30)
        geo = _wait_figures(dash_duo, figure_ids)
        _full_page_screenshot(dash_duo.driver, SHOTS / f"{name}_{mode}_{width}x{height}.png")
        for g in geo:
            problems += _check_figure(g, presentation)
        page = dash_duo.driver.execute_script(_PAGE_JS)
        missing = {f"{i}-caption" for i in figure_ids} - {c["id"] for c in page["captions"]}
        problems += [f"{name}: no caption {c}" for c in sorted(missing)]
        if presentation:
            problems += [f"{name}: caption {c['id']} at {c['font']} px" for c in page["captions"]
                         if c["font"] < MIN_PRESENTATION_FONT]
            if page["panel_visible"]:
                problems.append(f"{name}: {page['panel_visible']} filter-panel elements shown")
    assert not problems, "\n".join(problems)
    assert dash_duo.get_logs() == []


# Every rendered cell of the data dictionary: its text width against the cell's.
_DICTIONARY_JS = """
const grid = document.getElementById('data-dictionary');
const cells = Array.from(grid.querySelectorAll('.ag-cell'));
const rows = Array.from(grid.querySelectorAll('.ag-center-cols-container .ag-row'));
return {
  cells: cells.length,
  cut: cells.filter((c) => c.scrollWidth > c.clientWidth + 1)
            .map((c) => c.getAttribute('col-id') + ': ' + c.textContent),
  // a wrapped cell taller than its row would be cut at the bottom
  clipped: cells.filter((c) => c.scrollHeight > c.clientHeight + 1
                            || c.getBoundingClientRect().bottom
                               > c.closest('.ag-row').getBoundingClientRect().bottom + 1)
                .map((c) => c.getAttribute('col-id') + ': ' + c.textContent),
  rows: rows.length,
  header_cut: Array.from(grid.querySelectorAll('.ag-header-cell-text'))
    .filter((h) => h.scrollWidth > h.clientWidth + 1).map((h) => h.textContent),
};
"""


def test_data_dictionary_is_readable(dash_duo, start_app):
    start_app(1440, 900)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/data", timeout=30)
    dash_duo.wait_for_element("#data-dictionary .ag-row", timeout=30)
    time.sleep(1.0)  # row heights settle after the text is measured
    grid = dash_duo.find_element("#data-dictionary")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", grid)
    SHOTS.mkdir(exist_ok=True)
    grid.screenshot(str(SHOTS / "data_dictionary_1440x900.png"))
    info = dash_duo.driver.execute_script(_DICTIONARY_JS)
    assert info["cells"] > 0
    assert info["rows"] > 0
    assert info["cut"] == []  # no cell text cut off at the side: it wraps instead
    assert info["clipped"] == []  # and each row is as tall as its wrapped text
    assert info["header_cut"] == []
    assert dash_duo.get_logs() == []
