"""The pages' plotly.js (assets/vendor/plotly-explorer.min.js) can draw every figure.

The bundle is plotly.js's core (scatter) plus the trace types named in
vendor/plotly/entry.js. Three things could go wrong silently: a figure factory starts
drawing a trace type the bundle lacks (the browser would show an empty plot), the
bundle is not rebuilt after entry.js changes, or plotly.py is upgraded (its figures then
meet an older plotly.js in the browser than in kaleido's images).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import plotly.graph_objects as go
from plotly.basedatatypes import BaseTraceType
from plotly.offline import get_plotlyjs_version

ROOT = Path(__file__).resolve().parents[3]
BUNDLE = ROOT / "assets" / "vendor" / "plotly-explorer.min.js"
ENTRY = ROOT / "vendor" / "plotly" / "entry.js"
#: where the app's figures are built (pages, figure factories, exports)
SOURCES = ("components", "pages", "reports")

#: trace classes of plotly.graph_objects by class name, e.g. "Sankey" -> "sankey"
TRACE_CLASSES = {name: getattr(go, name)().type for name in dir(go)
                 if isinstance(getattr(go, name), type)
                 and issubclass(getattr(go, name), BaseTraceType)}


def _banner() -> str:
    with BUNDLE.open(encoding="utf-8") as fh:
        return fh.readline()


def _bundle_traces() -> set[str]:
    """Trace types the built bundle says it holds (its first line, written by build.sh)."""
    match = re.search(r"custom bundle \(([a-z0-9,]+)\)", _banner())
    assert match, f"no trace list in the bundle's first line: {_banner()[:120]!r}"
    return set(match.group(1).split(","))


def _entry_traces() -> set[str]:
    """Trace modules vendor/plotly/entry.js registers, plus scatter (in plotly.js core)."""
    names = set(re.findall(r"require\('plotly\.js/lib/([a-z0-9]+)'\)", ENTRY.read_text()))
    return (names - {"core"}) | {"scatter"}


def _drawn_traces() -> dict[str, list[str]]:
    """Trace types the app's code builds: ``go.Bar(...)``, ``fig.add_bar(...)``, and
    ``{"type": "bar"}`` dicts, with the files they appear in."""
    found: dict[str, list[str]] = {}
    methods = {f"add_{t}": t for t in TRACE_CLASSES.values()}
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                trace = None
                if isinstance(node, ast.Attribute) and node.attr in TRACE_CLASSES \
                        and isinstance(node.value, ast.Name) and node.value.id == "go":
                    trace = TRACE_CLASSES[node.attr]
                elif isinstance(node, ast.Attribute) and node.attr in methods \
                        and not ast.unparse(node.value).endswith("shapes"):
                    # fig.add_bar(...); not python-pptx's slide.shapes.add_table(...)
                    trace = methods[node.attr]
                elif isinstance(node, ast.Dict):
                    for key, value in zip(node.keys, node.values, strict=True):
                        if isinstance(key, ast.Constant) and key.value == "type" \
                                and isinstance(value, ast.Constant) \
                                and value.value in TRACE_CLASSES.values():
                            trace = value.value
                if trace:
                    found.setdefault(trace, []).append(str(path.relative_to(ROOT)))
    return found


def test_the_scan_finds_the_trace_types_the_figures_draw():
    # the scan itself: these are drawn today (means: bar + scatter, definition: sankey,
    # sensitivity: box), so a scan that found nothing would fail here, not pass below
    assert {"scatter", "bar", "sankey"} <= set(_drawn_traces())


def test_every_trace_type_drawn_is_in_the_bundle():
    missing = {t: files for t, files in _drawn_traces().items() if t not in _bundle_traces()}
    assert not missing, (f"trace types drawn but not in {BUNDLE.name}: {missing}; add them "
                         "to vendor/plotly/entry.js and run vendor/plotly/build.sh")


def test_bundle_was_built_from_entry_js():
    assert _bundle_traces() == _entry_traces()


def test_bundle_is_the_plotly_js_version_plotly_py_ships():
    # plotly.py's own bundle (package_data/plotly.min.js) names its version in its header
    assert f"plotly.js v{get_plotlyjs_version()}," in _banner()
    pinned = re.search(r'"plotly\.js": "([^"]+)"',
                       (ENTRY.parent / "package.json").read_text()).group(1)
    assert pinned == get_plotlyjs_version()


def test_bundle_is_much_smaller_than_the_full_plotly_js():
    full = Path(go.__file__).resolve().parents[1] / "package_data" / "plotly.min.js"
    assert BUNDLE.stat().st_size < 0.4 * full.stat().st_size
