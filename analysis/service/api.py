"""Cached entry points: one per analysis, what the pages and notebooks call.

Every entry point takes ``(fingerprint, query, *options)``: the fingerprint of a
registered dataset (:mod:`analysis.data.registry`), a filter query string
(:meth:`analysis.selection.spec.FilterSpec.to_query` syntax) and hashable options.
It fetches the dataset itself, applies the filters and runs one analysis, so its
result can be cached safely (no DataFrame ever becomes a key). A page composes the
entries it needs.

Each answers with a :class:`~analysis.service.results.Computed`: ``.value`` is the
analysis result (for example an ``AncovaResult``), ``.selection`` the patients it ran
on (filters in words, attrition, n per group). Errors are returned, never raised:

* a bad query, an unknown dataset or an invalid option -> ``.selection`` is ``None``
  and ``.error`` says why (not cached: the dataset may be registered a moment later);
* an analysis that cannot run on this selection (a group too small, ...) ->
  ``.value`` is ``None`` and ``.error`` says why (cached: same inputs, same message).

The filter query is parsed once per process and query string; the canonical query
is what the cache keys hold. The model rules (raw means fit no covariates, the
weighting, the default covariates) live in :mod:`analysis.service.model_options`.

From a notebook::

    from analysis import api, registry
    from analysis.data.loader import load_dataset

    fp = registry.register(load_dataset("my_cohort.csv", "my_mapping.toml"))
    res = api.ancova(fp, "age=50-70&sex=male", "delta_pav")
    res.value.ls_means, res.selection.attrition, res.error
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd

from analysis import settings
from analysis.data import registry
from analysis.data.loader import Provenance
from analysis.data.schema import VARIABLES
from analysis.disclosure.cells import shown_count
from analysis.disclosure.rule import current as disclosure_rule
from analysis.errors import AnalysisError, ExplorerError
from analysis.selection.apply import ATTRITION_COLUMNS, FilterResult, apply_filters
from analysis.selection.definition import SpottyDefinition, regroup
from analysis.selection.domain import FilterDomain, domain_from_frame
from analysis.selection.spec import FilterSpec
from analysis.service import cache
from analysis.service import disclosed as _disclosed
from analysis.service.model_options import (
    THERAPY_MODIFIERS,
    check_modifier,
    check_outcome,
    model_options,
)
from analysis.service.results import Computed, Selection
from analysis.stats import distributions
from analysis.stats.linear.ancova import AncovaResult, ancova_of
from analysis.stats.linear.dose_response import DoseResponseResult
from analysis.stats.linear.dose_response import dose_response as _dose_response
from analysis.stats.linear.interactions import ContinuousInteractionResult, InteractionResult
from analysis.stats.linear.interactions import continuous_interaction as _continuous
from analysis.stats.linear.interactions import interaction as _interaction
from analysis.stats.linear.overall import OverallModel, fit_overall
from analysis.stats.linear.subgroups import SubgroupResult
from analysis.stats.linear.subgroups import subgroup_effects as _subgroups
from analysis.stats.multiplicity import adjust_subgroups
from analysis.stats.progression import ProgressionSummary, progression_summary
from analysis.stats.table_one import TableOneResult
from analysis.stats.table_one import table_one as _table_one

T = TypeVar("T")
#: Filtered frames kept in this process (they are never put in the shared cache).
LOCAL_FRAMES = 4
#: Parsed filter queries kept in this process.
LOCAL_QUERIES = 256
#: Fitted overall models kept in this process (each holds its design: ~100 MB at 1M rows).
LOCAL_MODELS = 2


# --------------------------------------------------------------------------- plumbing
@cache.local_memo(LOCAL_QUERIES)
def _parsed(query: str) -> tuple[FilterSpec, str]:
    spec = FilterSpec.from_query(query)
    return spec, spec.to_query()


def canonical_query(query: str | None) -> str:
    """The canonical form of a filter query (raises FilterSpecError when it is bad)."""
    return _parsed(str(query or ""))[1]


@cache.local_memo(LOCAL_FRAMES)
def _regrouped(fingerprint: str, definition: SpottyDefinition) -> pd.DataFrame:
    """The dataset's patients grouped by ``definition`` from its lesion file.

    The published definition keeps the file's own groups (on the bundled study the
    lesion file gives exactly those); any other needs a lesion file (FilterSpecError).
    """
    dataset = registry.ensure(fingerprint)
    return regroup(dataset.frame, dataset.lesions, definition)


@cache.local_memo(LOCAL_FRAMES)
def _selected(fingerprint: str, query: str) -> tuple[FilterResult, Selection]:
    """(filter result, selection summary) of a canonical query, in this process only."""
    dataset = registry.ensure(fingerprint)
    spec = _parsed(query)[0]
    result = apply_filters(_regrouped(fingerprint, spec.definition), spec)
    label = getattr(getattr(dataset, "provenance", None), "label", "") or ""
    selection = Selection(fingerprint=fingerprint, query=query, spec=spec,
                          filters=tuple(spec.describe()), data_label=label,
                          attrition=result.attrition, n_by_group=dict(result.n_by_group))
    return result, selection


def _min_group_n() -> int:
    return int(settings.current().min_group_n)


@cache.local_memo(LOCAL_MODELS)
def _overall_model(fingerprint: str, query: str, outcome: str,
                   covariates: tuple[str, ...] | None, min_group_n: int) -> OverallModel:
    """The fitted overall model of a selection (:func:`fit_overall`), in this process only.

    The ANCOVA and the subgroup entries of the same selection and options share it, so
    a page showing both fits the model once. Raises the model's AnalysisError.
    """
    selected, _selection = _selected(fingerprint, query)
    return fit_overall(selected.frame, outcome, covar=covariates, min_group_n=min_group_n)


def _compute(entry: str, fingerprint: str, query: str, options: dict[str, Any],
             fn: Callable[..., T], *args: Any, **kwargs: Any) -> Computed[T]:
    """Run one analysis on the selected rows; an AnalysisError becomes the message."""
    selected, selection = _selected(fingerprint, query)
    opts = tuple(options.items())
    try:
        value = fn(selected.frame, *args, **kwargs)
    except AnalysisError as err:
        return Computed(entry, selection, opts, error=str(err))
    return Computed(entry, selection, opts, value=value)


def _guard(entry: str) -> Callable[[Callable[..., Computed]], Callable[..., Computed]]:
    """Project errors raised before the computation (bad query, unknown dataset, bad
    option) become a result with no selection; every result leaves through disclosure
    control (:func:`analysis.service.disclosed.disclosed`, after the cache)."""

    def decorate(fn: Callable[..., Computed]) -> Callable[..., Computed]:
        @functools.wraps(fn)
        def wrapper(fingerprint: str, query: str | None = "", *args: Any,
                    **kwargs: Any) -> Computed:
            try:
                fp, q = str(fingerprint), canonical_query(query)
                return _disclosed.disclosed(
                    (entry, fp, q, args, tuple(sorted(kwargs.items()))),
                    lambda: fn(fp, q, *args, **kwargs))
            except ExplorerError as err:
                return Computed(entry, None, error=str(err))

        return wrapper

    return decorate


def clear() -> None:
    """Empty the shared cache and this process's memos (filtered frames, queries,
    disclosed results)."""
    cache.clear()
    _disclosed.clear()


# --------------------------------------------------------------------------- selection
def filtered_frame(fingerprint: str, query: str | None = "") -> pd.DataFrame:
    """The selected patient rows (kept in this process only, never in the shared cache).

    Returns a shallow copy: with copy-on-write, changing it never changes the kept frame.

    Raises
    ------
    FilterSpecError
        Bad query. The registry's error for an unknown fingerprint is raised as is.
    """
    selected, _selection = _selected(fingerprint, canonical_query(query))
    return selected.frame.copy(deep=False)


@_guard("selection")
@cache.memoize("api.selection")
def selection(fingerprint: str, query: str) -> Computed[Selection]:
    """Attrition and group sizes of a selection; ``.value`` is the :class:`Selection`."""
    _selected_rows, sel = _selected(fingerprint, query)
    return Computed("selection", sel, value=sel)


def provenance(fingerprint: str) -> Provenance:
    """Where the dataset came from (source file name, rows, mapping, label); with
    disclosure control on, ``rows`` and ``lesion_rows`` as it shows them."""
    prov = registry.ensure(fingerprint).provenance
    rule = disclosure_rule()
    if not rule.active:
        return prov
    lesions = prov.lesion_rows
    return dataclasses.replace(
        prov, rows=shown_count(int(prov.rows), rule),
        lesion_rows=None if lesions is None else shown_count(int(lesions), rule))


@cache.memoize("api.filter_domain")
def filter_domain(fingerprint: str) -> FilterDomain:
    """Slider bounds and checklist values of a dataset (raises for an unknown one)."""
    return domain_from_frame(registry.ensure(fingerprint).frame)


# --------------------------------------------------------------------------- descriptive
@_guard("table_one")
@cache.memoize("api.table_one")
def table_one(fingerprint: str, query: str) -> Computed[TableOneResult]:
    """Table 1 of the selection (:func:`analysis.stats.table_one.table_one`)."""
    return _compute("table_one", fingerprint, query, {}, _table_one)


@_guard("progression_summary")
def progression(fingerprint: str, query: str, outcome: str = "delta_pav"
                ) -> Computed[ProgressionSummary]:
    """Change by group: n, mean, SD, quartiles, test of change, % regression."""
    return _progression(fingerprint, query, check_outcome(outcome))


@cache.memoize("api.progression")
def _progression(fingerprint: str, query: str, outcome: str) -> Computed[ProgressionSummary]:
    return _compute("progression_summary", fingerprint, query, {"outcome": outcome},
                    progression_summary, outcome)


#: Distribution summaries computed on the server (a response stays small at any n).
DISTRIBUTIONS: dict[str, Callable[..., pd.DataFrame]] = {
    "histogram": distributions.histogram, "box": distributions.box_summary,
    "kde": distributions.kde, "ecdf": distributions.ecdf,
}


@_guard("distribution")
def distribution(fingerprint: str, query: str, outcome: str = "delta_pav",
                 kind: str = "histogram", bins: int = 30) -> Computed[pd.DataFrame]:
    """A server-side distribution summary of ``outcome`` by group.

    ``kind`` is ``"histogram"`` (``bins`` from 1 to 500), ``"box"``, ``"kde"`` or
    ``"ecdf"``.
    """
    if kind not in DISTRIBUTIONS:
        raise AnalysisError(f"unknown distribution {kind!r}; choose one of "
                            f"{', '.join(DISTRIBUTIONS)}")
    if isinstance(bins, bool) or not isinstance(bins, int) or not 1 <= bins <= 500:
        raise AnalysisError(f"bins must be a whole number from 1 to 500, not {bins!r}")
    return _distribution(fingerprint, query, check_outcome(outcome), kind,
                         bins if kind == "histogram" else 0)


@cache.memoize("api.distribution")
def _distribution(fingerprint: str, query: str, outcome: str, kind: str,
                  bins: int) -> Computed[pd.DataFrame]:
    kwargs = {"bins": bins} if kind == "histogram" else {}
    return _compute(kind, fingerprint, query, {"outcome": outcome, "kind": kind, **kwargs},
                    DISTRIBUTIONS[kind], outcome, **kwargs)


@_guard("paired")
def paired(fingerprint: str, query: str, outcome: str = "delta_pav") -> Computed[pd.DataFrame]:
    """Baseline and follow-up means (95% CI) of the measurement behind ``outcome``."""
    return _paired(fingerprint, query, check_outcome(outcome))


@cache.memoize("api.paired")
def _paired(fingerprint: str, query: str, outcome: str) -> Computed[pd.DataFrame]:
    before = VARIABLES[outcome].baseline or ""
    after = before.replace("_baseline", "_followup")
    return _compute("paired", fingerprint, query, {"outcome": outcome},
                    distributions.paired_summary, before, after)


# --------------------------------------------------------------------------- models
@_guard("ancova")
def ancova(fingerprint: str, query: str, outcome: str = "delta_pav",
           covariates: Any = None, weights: str = "proportional", means: str = "adjusted",
           diagnostics: bool = True) -> Computed[AncovaResult]:
    """Adjusted comparison of the groups (:func:`analysis.stats.linear.ancova.ancova`).

    ``covariates=None`` is the default adjustment; ``means="raw"`` fits none.
    """
    covs, w = model_options(means, covariates, weights)
    return _ancova_cached(fingerprint, query, check_outcome(outcome), covs, w, bool(diagnostics))


@cache.memoize("api.ancova")
def _ancova_cached(fingerprint: str, query: str, outcome: str,
                   covariates: tuple[str, ...] | None, weights: str,
                   diagnostics: bool) -> Computed[AncovaResult]:
    def run(_frame: pd.DataFrame) -> AncovaResult:
        model = _overall_model(fingerprint, query, outcome, covariates, _min_group_n())
        return ancova_of(model, weights=weights, diagnostics=diagnostics)

    return _compute("ancova", fingerprint, query,
                    {"outcome": outcome, "covariates": covariates, "weights": weights}, run)


@_guard("subgroups")
def subgroups(fingerprint: str, query: str, outcome: str = "delta_pav", covariates: Any = None,
              weights: str = "proportional", means: str = "adjusted") -> Computed[SubgroupResult]:
    """The spotty - none difference within each subgroup, with interaction p."""
    covs, w = model_options(means, covariates, weights)
    return _subgroups_cached(fingerprint, query, check_outcome(outcome), covs, w)


@cache.memoize("api.subgroups")
def _subgroups_cached(fingerprint: str, query: str, outcome: str,
                      covariates: tuple[str, ...] | None, weights: str) -> Computed[SubgroupResult]:
    def run(frame: pd.DataFrame) -> SubgroupResult:
        model = _overall_model(fingerprint, query, outcome, covariates, _min_group_n())
        return _adjusted_subgroups(frame, outcome, covar=covariates, weights=weights,
                                   model=model)

    return _compute("subgroups", fingerprint, query,
                    {"outcome": outcome, "covariates": covariates, "weights": weights}, run)


def _adjusted_subgroups(data: pd.DataFrame, outcome: str, **kwargs: Any) -> SubgroupResult:
    """:func:`subgroup_effects` with Holm and BH adjusted interaction p (``p_holm``,
    ``p_bh`` after ``p_interaction``); the method and notes say the subgroup analyses
    are exploratory (:func:`analysis.stats.multiplicity.adjust_subgroups`)."""
    res = _subgroups(data, outcome, min_group_n=_min_group_n(), **kwargs)
    adj = adjust_subgroups(res.table)
    method = (f"{res.method}. {adj.method}; subgroup analyses are exploratory "
              "(hypothesis-generating)")
    return dataclasses.replace(res, table=adj.table, method=method,
                               notes=tuple(res.notes) + tuple(adj.notes))


@_guard("dose_response")
def dose_response(fingerprint: str, query: str, outcome: str = "delta_pav",
                  weights: str = "proportional",
                  means: str = "adjusted") -> Computed[DoseResponseResult]:
    """Outcome by number of spotty deposits (raw and adjusted means, trend test).

    Both kinds of means are computed; ``means="raw"`` only says the weighting of the
    adjusted ones is not shown, so the default weighting is used (one cache entry).
    """
    _covs, w = model_options(means, None, weights)
    return _dose_cached(fingerprint, query, check_outcome(outcome), w)


@cache.memoize("api.dose_response")
def _dose_cached(fingerprint: str, query: str, outcome: str,
                 weights: str) -> Computed[DoseResponseResult]:
    return _compute("dose_response", fingerprint, query,
                    {"outcome": outcome, "weights": weights},
                    _dose_response, outcome, weights=weights)


@_guard("interaction")
def interaction(fingerprint: str, query: str, outcome: str = "delta_pav",
                modifier: str = "ldl_intensive", covariates: Any = None,
                weights: str = "proportional", means: str = "adjusted"
                ) -> Computed[InteractionResult]:
    """Group x therapy-intensity flag (cut-point from the query's ``ldl_cut``/``sbp_cut``)."""
    covs, w = model_options(means, covariates, weights)
    return _interaction_cached(fingerprint, query, check_outcome(outcome),
                               check_modifier(modifier), covs, w)


@cache.memoize("api.interaction")
def _interaction_cached(fingerprint: str, query: str, outcome: str, modifier: str,
                        covariates: tuple[str, ...] | None,
                        weights: str) -> Computed[InteractionResult]:
    return _compute("interaction", fingerprint, query,
                    {"outcome": outcome, "modifier": modifier, "covariates": covariates,
                     "weights": weights},
                    _interaction, outcome, modifier, covar=covariates, weights=weights)


@_guard("continuous_interaction")
def continuous_interaction(fingerprint: str, query: str, outcome: str = "delta_pav",
                           modifier: str = "ldl_intensive", covariates: Any = None,
                           weights: str = "proportional", means: str = "adjusted"
                           ) -> Computed[ContinuousInteractionResult]:
    """Group x the measurement behind a therapy flag (LDL-C or SBP), as a linear term."""
    covs, w = model_options(means, covariates, weights)
    return _continuous_cached(fingerprint, query, check_outcome(outcome),
                              THERAPY_MODIFIERS[check_modifier(modifier)], covs, w)


@cache.memoize("api.continuous_interaction")
def _continuous_cached(fingerprint: str, query: str, outcome: str, measure: str,
                       covariates: tuple[str, ...] | None,
                       weights: str) -> Computed[ContinuousInteractionResult]:
    return _compute("continuous_interaction", fingerprint, query,
                    {"outcome": outcome, "modifier": measure, "covariates": covariates,
                     "weights": weights},
                    _continuous, outcome, measure, covar=covariates, weights=weights)


# --------------------------------------------------------------------------- composition
def model_attrition(attrition: pd.DataFrame, fit: AncovaResult, outcome: str) -> pd.DataFrame:
    """Attrition with a final ``"model"`` step: the complete cases of the ANCOVA.

    Patients of the compared groups (none, spotty) left out of the model for a
    missing outcome or covariate are ``n_excluded_missing``; patients of other
    groups (when included by the filter) are excluded without a missing value.
    """
    last = attrition.iloc[-1]
    n_used = int(fit.n_used)
    ls = fit.ls_means.set_index("level")["n"]
    in_comparison = int(last["n_none"]) + int(last["n_spotty"])
    covs = ", ".join(VARIABLES[c].label if c in VARIABLES else c for c in fit.covariates)
    row = {
        "step": "model",
        "description": (f"Complete cases for the ANCOVA of {VARIABLES[outcome].label} "
                        f"(outcome, group and covariates: {covs or 'none'})"),
        "n": n_used, "n_excluded": int(last["n"]) - n_used,
        "n_excluded_missing": in_comparison - n_used, "n_missing_kept": 0,
        "n_none": int(ls.get("none", 0)), "n_spotty": int(ls.get("spotty", 0)),
    }
    return pd.concat([attrition, pd.DataFrame([row], columns=ATTRITION_COLUMNS)],
                     ignore_index=True)


@_guard("model_flow")
def model_flow(fingerprint: str, query: str, outcome: str = "delta_pav",
               covariates: Any = None, weights: str = "proportional",
               means: str = "adjusted") -> Computed[pd.DataFrame]:
    """The attrition of the selection with the ANCOVA's complete-case step
    (:func:`model_attrition`) as one table, so disclosure control protects every step
    together. ``.error`` is the ANCOVA's message when it cannot be fitted."""
    covs, w = model_options(means, covariates, weights)
    outcome = check_outcome(outcome)
    res = _ancova_cached(fingerprint, query, outcome, covs, w, False)
    if not res.ok:
        return dataclasses.replace(res, entry="model_flow", value=None)
    flow = model_attrition(res.selection.attrition, res.value, outcome)
    return Computed("model_flow", res.selection, res.options, value=flow)


__all__ = [
    "DISTRIBUTIONS", "ancova", "canonical_query", "clear", "continuous_interaction",
    "distribution", "dose_response", "filter_domain", "filtered_frame", "interaction",
    "model_attrition", "model_flow", "paired", "provenance", "progression", "selection",
    "subgroups", "table_one",
]


# The definition explorer's and the sensitivity analyses' entries use the plumbing above;
# they live in their own modules (imported last, so those find this one complete).
from analysis.service.definition_api import definition_curve, definition_flow  # noqa: E402
from analysis.service.sensitivity_api import (  # noqa: E402
    propensity,
    sensitivity,
)

__all__ += ["definition_curve", "definition_flow", "propensity", "sensitivity"]
