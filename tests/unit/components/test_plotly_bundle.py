"""The pages' plotly.js (assets/vendor/plotly-explorer.min.js) can draw every figure.

The bundle is plotly.js's core (scatter) plus the trace types named in
vendor/plotly/entry.js. What could go wrong silently: a figure starts drawing a trace
type the bundle lacks (the browser would show an empty plot), the bundle is not the one
built from entry.js, or plotly.py is upgraded (its figures would then meet an older
plotly.js in the browser than in kaleido's images). The trace types the bundle really
holds are read from its code (each registered trace module's ``moduleType:"trace",
name:"..."``), not from its banner.
"""

from __future__ import annotations

import ast
import hashlib
import re
from pathlib import Path

import plotly.graph_objects as go
import pytest
from plotly.basedatatypes import BaseTraceType
from plotly.offline import get_plotlyjs_version

ROOT = Path(__file__).resolve().parents[3]
BUNDLE = ROOT / "assets" / "vendor" / "plotly-explorer.min.js"
VENDOR = ROOT / "vendor" / "plotly"
#: where the app's figures are built
SOURCES = ("components", "pages", "reports", "shell")
#: the plotly template sets defaults for many trace types; it draws none of them
NOT_DRAWN = {Path("components/theme.py")}

#: trace classes of plotly.graph_objects by class name, e.g. "Sankey" -> "sankey"
TRACE_CLASSES = {name: getattr(go, name)().type for name in dir(go)
                 if isinstance(getattr(go, name), type)
                 and issubclass(getattr(go, name), BaseTraceType)}
TRACE_TYPES = set(TRACE_CLASSES.values())


def _bundle_traces() -> set[str]:
    """Trace modules registered in the bundle's code."""
    return set(re.findall(r'moduleType:"trace",name:"([a-z0-9]+)"', BUNDLE.read_text()))


def _entry_traces() -> set[str]:
    """Trace modules vendor/plotly/entry.js registers, plus scatter (in plotly.js core)."""
    text = (VENDOR / "entry.js").read_text()
    names = set(re.findall(r"require\('plotly\.js/lib/([a-z0-9]+)'\)", text))
    return (names - {"core"}) | {"scatter"}


def _trace_of(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """The trace type ``node`` builds, if any: ``go.Bar``, an imported ``Bar``,
    ``fig.add_bar``, ``{"type": "bar"}`` or ``dict(type="bar")``."""
    if isinstance(node, ast.Attribute):
        if node.attr in TRACE_CLASSES and isinstance(node.value, ast.Name) \
                and node.value.id == "go":
            return TRACE_CLASSES[node.attr]
        if node.attr.startswith("add_") and node.attr[4:] in TRACE_TYPES \
                and not ast.unparse(node.value).endswith("shapes"):
            return node.attr[4:]  # fig.add_bar(...); not python-pptx's shapes.add_table
    if isinstance(node, ast.Name) and node.id in aliases:
        return aliases[node.id]
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and key.value == "type" \
                    and isinstance(value, ast.Constant) and value.value in TRACE_TYPES:
                return value.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id == "dict":
        for kw in node.keywords:
            if kw.arg == "type" and isinstance(kw.value, ast.Constant) \
                    and kw.value.value in TRACE_TYPES:
                return kw.value.value
    return None


def _drawn_in_code() -> dict[str, list[str]]:
    """Trace types the app's code builds, with the files they appear in."""
    found: dict[str, list[str]] = {}
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if rel in NOT_DRAWN:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            aliases = {a.asname or a.name: TRACE_CLASSES[a.name]
                       for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                       and node.module == "plotly.graph_objects"
                       for a in node.names if a.name in TRACE_CLASSES}
            for node in ast.walk(tree):
                trace = _trace_of(node, aliases)
                if trace:
                    found.setdefault(trace, []).append(str(rel))
    return found


def test_the_scan_finds_the_trace_types_the_figures_draw():
    # drawn today: scatter (everywhere), bar (means, progression), box (progression's
    # box chart), sankey (definition flow); a scan that found nothing would fail here
    found = _drawn_in_code()
    assert {"scatter", "bar", "box", "sankey"} <= set(found)
    assert "components/figures/progression.py" in found["box"]
    assert "components/figures/definition.py" in found["sankey"]


def test_every_trace_type_in_the_code_is_in_the_bundle():
    missing = {t: files for t, files in _drawn_in_code().items() if t not in _bundle_traces()}
    assert not missing, (f"trace types drawn but not in {BUNDLE.name}: {missing}; add them "
                         "to vendor/plotly/entry.js and run vendor/plotly/build.sh")


@pytest.mark.parametrize("link", [
    "/", "/progression?chart=histogram", "/progression?chart=box", "/progression?chart=ecdf",
    "/comparison", "/therapy", "/definition?spotty_arc=120", "/baseline",
])
def test_every_figure_of_every_view_draws_with_the_bundle(link):
    # the figures as the kit builds them from the same factories as the pages
    from analysis.data import registry
    from analysis.data.loader import load_bundled
    from reports.view import build_view

    view = build_view(link, registry.register(load_bundled()), sensitivity=False)
    drawn = {trace.type for item in view.figures for trace in item.figure.data}
    assert drawn <= _bundle_traces(), (link, drawn - _bundle_traces())


def test_bundle_registers_what_entry_js_asks_for():
    assert _bundle_traces() == _entry_traces()


def test_bundle_is_the_plotly_js_version_plotly_py_ships():
    # the version plotly.js reports (Plotly.version) is a literal in its code
    assert re.findall(r'version="(\d+\.\d+\.\d+)"', BUNDLE.read_text())[:1] == \
        [get_plotlyjs_version()]
    pinned = re.search(r'"plotly\.js": "([^"]+)"', (VENDOR / "package.json").read_text())
    assert pinned.group(1) == get_plotlyjs_version()


def test_bundle_is_the_one_recorded_by_its_build():
    # build.sh is reproducible; vendor/plotly/README.md records the sha256 it gave
    recorded = re.search(r"([0-9a-f]{64})  plotly-explorer\.min\.js",
                         (VENDOR / "README.md").read_text()).group(1)
    assert hashlib.sha256(BUNDLE.read_bytes()).hexdigest() == recorded
    licences = (BUNDLE.parent / "plotly-explorer.LICENSES.txt").read_text()
    assert f"plotly.js {get_plotlyjs_version()} (MIT)" in licences and "@plotly/d3 " in licences


def test_bundle_is_much_smaller_than_the_full_plotly_js():
    full = Path(go.__file__).resolve().parents[1] / "package_data" / "plotly.min.js"
    assert BUNDLE.stat().st_size < 0.4 * full.stat().st_size
