"""The contents of one view (a page + its query string), for every kit format.

:func:`build_view` turns a link as in the address bar (``"/comparison?age=50-70&
outcome=delta_pav"``) into a :class:`View`: title, filters in words, dataset name and
fingerprint, simulated label, the page's figures (built by the page's figure factories
in :mod:`components.figures`, without their in-plot footnote: each figure's
:class:`~components.figures.Footnote` travels beside it as its caption), tables, the
methods text of every result and the numbers the scripts reproduce. The deck, the
HTML report, the scripts and the zip are all made from it.

Results come from the cached entry points of :mod:`analysis.service.api`, so a kit
shows exactly the numbers of the page.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pandas as pd
import plotly.graph_objects as go

from analysis.data import registry
from analysis.data.schema import GROUP_LEVELS
from analysis.display import source_name
from analysis.errors import ExplorerError
from analysis.service import api
from analysis.service.results import Computed
from components.figures import Footnote
from components.url_state import OPTION_DEFAULTS, split_query

#: Pages a kit can be made of, with their titles.
PAGE_TITLES = {
    "/": "Overview", "/baseline": "Baseline characteristics", "/progression": "Progression",
    "/comparison": "Group comparison", "/therapy": "Therapy interactions", "/data": "Data",
    "/definition": "Definition of spotty calcification",
}
STUDY = ("Spotty calcification and atheroma progression (serial IVUS; "
         "Kataoka et al., J Am Coll Cardiol 2012;59:1592-7)")


class ViewError(ExplorerError):
    """A link that does not name a view (unknown page, bad filter)."""


@dataclass(frozen=True)
class FigureItem:
    """One figure of a view: key (file-name stem), title, the figure, its caption and
    the section it belongs to (``""``: the page's own figures)."""

    key: str
    title: str
    figure: go.Figure
    footnote: Footnote
    section: str = ""


@dataclass(frozen=True)
class TableItem:
    """One table of a view: key (file-name stem), title, the display frame, a note (its
    caption), the section it belongs to (``""``: the page's own tables) and, optionally,
    the relative widths of its columns on a slide."""

    key: str
    title: str
    frame: pd.DataFrame
    note: str = ""
    section: str = ""
    widths: tuple[float, ...] | None = None


@dataclass(frozen=True)
class ModelSpec:
    """The model options of a view: ``requested`` covariates as the page asks the API
    (None = the default set), ``covariates`` as fitted (set from the ANCOVA)."""

    outcome: str
    requested: tuple[str, ...] | None
    covariates: tuple[str, ...]
    weights: str
    means: str
    ldl_cut: float
    sbp_cut: float

    def api_options(self) -> dict[str, object]:
        """The model options as the cached entry points take them (``api.ancova``,
        ``api.sensitivity``, ...): covariates as requested, weights, means."""
        return {"covariates": self.requested, "weights": self.weights, "means": self.means}


@dataclass
class View:
    """Everything a kit shows of one view (see the module docstring)."""

    link: str
    path: str
    page: str
    title: str
    filter_query: str
    options: dict[str, str]
    filters: tuple[str, ...]
    dataset: str
    fingerprint: str
    simulated_label: str
    n: int | str
    n_by_group: dict[str, int | str]
    model: ModelSpec
    created: str
    figures: list[FigureItem] = field(default_factory=list)
    tables: list[TableItem] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    #: label -> value of every number the scripts reproduce (see :mod:`reports.numbers`).
    numbers: dict[str, float] = field(default_factory=dict)
    #: Messages of results that could not be computed on this selection.
    notes: list[str] = field(default_factory=list)
    #: Table 1 variable -> the test behind its p-value (for the scripts).
    table1_tests: dict[str, str] = field(default_factory=dict)
    #: Whether the kit holds the Sensitivity section (:mod:`reports.view_sensitivity`).
    sensitivity: bool = False
    #: Settings of the sensitivity analyses as computed (imputations, seed, trim).
    sensitivity_options: dict[str, float] = field(default_factory=dict)

    def add_method(self, text: str) -> None:
        """Add a methods line once."""
        if text and text not in self.methods:
            self.methods.append(text)


def sections(view: View) -> list[str]:
    """The view's sections in order: the page's own (``""``) first, then named ones."""
    names = [""]
    for item in [*view.figures, *view.tables]:
        if item.section not in names:
            names.append(item.section)
    return names


def _parse_link(link: str) -> tuple[str, str, dict[str, str]]:
    parts = urlsplit(str(link or "/").strip())
    path = "/" + parts.path.strip("/")
    if path not in PAGE_TITLES:
        raise ViewError(f"{path!r} is not a page of the explorer; use one of "
                        f"{', '.join(PAGE_TITLES)} (with its query string).")
    filters, options = split_query(parts.query)
    return path, filters, options


def _option(options: dict[str, str], key: str) -> str:
    return options.get(key) or OPTION_DEFAULTS[key]


def _model_spec(options: dict[str, str], path: str, spec) -> ModelSpec:
    from reports.view_pages import comparison_covariates

    outcome = "delta_pav" if path == "/" else _option(options, "outcome")
    if outcome not in ("delta_pav", "delta_tav"):
        raise ViewError(f"outcome={outcome!r} is not an outcome; use delta_pav or "
                        "delta_tav.")
    means = _option(options, "means")
    weights = _option(options, "weights")
    if means not in ("adjusted", "raw") or weights not in ("proportional", "equal"):
        raise ViewError("means must be adjusted or raw and weights proportional or equal.")
    requested = (comparison_covariates(outcome, _option(options, "covar"))
                 if path == "/comparison" else None)
    return ModelSpec(outcome=outcome, requested=requested, covariates=(), weights=weights,
                     means=means, ldl_cut=float(spec.ldl_cut), sbp_cut=float(spec.sbp_cut))


def footnote(computed: Computed, n: int | None, method: str) -> Footnote:
    """The caption of a figure of ``computed`` (as the pages build it)."""
    return Footnote.of(computed, n, method)


def build_view(link: str, fingerprint: str | None = None, *, sensitivity: bool | None = None,
               progress: Callable[[str], None] | None = None) -> View:
    """The contents of the view at ``link`` on the dataset ``fingerprint`` (the active
    dataset when None).

    ``sensitivity`` adds the Sensitivity section (None: only for ``/comparison``, see
    :func:`reports.view_sensitivity.wanted`); ``progress`` gets a message before each
    slow step (the multiple imputation reports each imputation).

    Raises
    ------
    ViewError
        Unknown page, bad filter or option (the message says what to change).
    DataLoadError
        The active dataset could not be loaded.
    """
    from reports import view_pages, view_sensitivity

    path, filter_query, options = _parse_link(link)
    fp = fingerprint or registry.active().provenance.fingerprint
    sel_res = api.selection(fp, filter_query)
    if sel_res.selection is None:
        raise ViewError(f"The link's filters are not valid: {sel_res.error}")
    sel = sel_res.selection
    prov = api.provenance(fp)
    view = View(
        link=link, path=path, page=PAGE_TITLES[path],
        title=f"{PAGE_TITLES[path]} · IVUS study explorer", filter_query=sel.query,
        options=options, filters=tuple(sel.filters) if not sel.spec.is_empty else (),
        dataset=source_name(prov.source), fingerprint=fp, simulated_label=sel.data_label,
        n=sel.n, n_by_group=dict(sel.n_by_group), model=_model_spec(options, path, sel.spec),
        created=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"))
    for level in GROUP_LEVELS:  # a suppressed count (disclosure control) is no number
        if not isinstance(n := sel.n_by_group.get(level, 0), str):
            view.numbers[f"n {level}"] = float(n)
    view.add_method(sel.disclosure)  # disclosure control, when on: a methods line
    view_pages.add_common(view)
    view_pages.PAGES[path](view)
    if view_sensitivity.wanted(path, sensitivity):
        view_sensitivity.add_sensitivity(view, progress)
    return view


__all__ = ["PAGE_TITLES", "STUDY", "FigureItem", "ModelSpec", "TableItem", "View",
           "ViewError", "build_view", "footnote", "sections"]
