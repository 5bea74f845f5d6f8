"""Cached entry points: what the pages and notebooks call.

Every entry point takes ``(fingerprint, query, *options)``: the fingerprint of a
registered dataset (:mod:`analysis.data.registry`), a filter query string
(:meth:`analysis.selection.filters.FilterSpec.to_query` syntax) and hashable options. It
fetches the dataset itself, applies the filters and runs the statistics, so its
result can be cached safely (no DataFrame ever becomes a key).

Results are :class:`ApiResult` objects: frozen, picklable, holding the attrition
table, the group sizes and one result object per analysis ("part"). Errors are
returned, never raised, so a page can show the message:

* a bad query, an unknown dataset or an invalid option -> :attr:`ApiResult.error`
  is set and no part is computed (this answer is not cached: the dataset may be
  registered a moment later);
* an analysis that cannot run on this selection (:class:`AnalysisError`, e.g. a
  group too small) -> that part is missing and :attr:`ApiResult.errors` holds its
  message; the other parts are still computed (this answer is cached, because the
  same inputs give the same message).

Lists given as options (as Dash callbacks deliver them) are turned into tuples.

From a notebook::

    from analysis.service import api

    from analysis.data import registry
    from analysis.data.loader import load_dataset

    fp = registry.register(load_dataset("my_cohort.csv", "my_mapping.toml"))
    res = api.comparison(fp, "age=50-70&sex=male", "delta_pav")
    res.attrition, res["ancova"].ls_means, res["subgroups"].table, res.messages()
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from analysis.data.schema import VARIABLES, outcomes
from analysis.errors import AnalysisError, ExplorerError
from analysis.selection.filters import ATTRITION_COLUMNS, FilterResult, FilterSpec, apply_filters
from analysis.service import cache
from analysis.stats import distributions
from analysis.stats.linear.ancova import ancova
from analysis.stats.linear.dose_response import dose_response
from analysis.stats.linear.interactions import continuous_interaction, interaction
from analysis.stats.linear.subgroups import subgroup_effects
from analysis.stats.progression import progression_summary
from analysis.stats.table_one import table_one

#: Therapy flag -> the continuous measurement behind it.
THERAPY_MODIFIERS: dict[str, str] = {"ldl_intensive": "ldl_c", "sbp_intensive": "sbp"}
#: ANCOVA weighting options.
WEIGHTS: tuple[str, ...] = ("proportional", "equal")
#: Filtered frames kept in this process (they are never put in the shared cache).
LOCAL_FRAMES = 4


@dataclass(frozen=True)
class ApiResult:
    """What an entry point returns.

    Attributes
    ----------
    entry : str
        Entry point name (``"overview"``, ...).
    fingerprint : str
        Dataset fingerprint.
    query : str
        Canonical filter query actually used.
    filters : tuple of str
        :meth:`FilterSpec.describe` lines (for footnotes and downloads).
    data_label : str
        Provenance label of the dataset (the simulated-data label or ``""``).
    options : tuple of (name, value)
        The options of the call.
    attrition : DataFrame or None
        :func:`analysis.selection.filters.apply_filters` attrition (for :func:`overview` with a
        final ``"model"`` step: the complete cases of the ANCOVA).
    n_by_group : dict
        Patients left per included calcification group.
    parts : dict
        Analysis name -> result object (see each entry point).
    errors : dict
        Analysis name -> message, for parts that could not be computed.
    error : str or None
        Set when nothing could be computed (bad query, unknown dataset, bad option).
    """

    entry: str
    fingerprint: str
    query: str
    filters: tuple[str, ...] = ()
    data_label: str = ""
    options: tuple[tuple[str, Any], ...] = ()
    attrition: pd.DataFrame | None = None
    n_by_group: dict[str, int] = field(default_factory=dict)
    parts: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when there is no top-level error (parts may still have failed)."""
        return self.error is None

    @property
    def n(self) -> int:
        """Patients in the selection."""
        return int(sum(self.n_by_group.values()))

    def get(self, name: str, default: Any = None) -> Any:
        """A part, or ``default`` when it is absent (see :attr:`errors`)."""
        return self.parts.get(name, default)

    def __getitem__(self, name: str) -> Any:
        return self.parts[name]

    def messages(self) -> list[str]:
        """Every error message, top-level first (for an alert on the page)."""
        out = [self.error] if self.error else []
        return out + [f"{name}: {msg}" for name, msg in self.errors.items()]


# --------------------------------------------------------------------------- helpers
def _registry_get(fingerprint: str):
    from analysis import registry  # imported here: the registry loads data lazily

    return registry.get(fingerprint)


@functools.lru_cache(maxsize=LOCAL_FRAMES)
def _selection(fingerprint: str, query: str) -> tuple[FilterResult, str]:
    """(filter result, data label) for a canonical query; kept in this process only."""
    dataset = _registry_get(fingerprint)
    result = apply_filters(dataset.frame, FilterSpec.from_query(query))
    label = getattr(getattr(dataset, "provenance", None), "label", "") or ""
    return result, label


def _canonical(query: str | None) -> str:
    return FilterSpec.from_query(query).to_query()


def _options(**kwargs: Any) -> tuple[tuple[str, Any], ...]:
    return tuple(kwargs.items())


def _tuple(value: Any) -> Any:
    """Lists (from Dash) to tuples; strings and None as they are."""
    if isinstance(value, list | tuple):
        return tuple(value)
    return value


def _check_outcome(outcome: Any) -> str:
    names = [v.name for v in outcomes()]
    if outcome not in names:
        raise AnalysisError(f"unknown outcome {outcome!r}; choose one of {', '.join(names)}")
    return outcome


def _check_weights(weights: Any) -> str:
    if weights not in WEIGHTS:
        raise AnalysisError(f"unknown weighting {weights!r}; choose one of {', '.join(WEIGHTS)}")
    return weights


def _check_covariates(covariates: Any) -> tuple[str, ...] | None:
    if covariates is None:
        return None
    covariates = (covariates,) if isinstance(covariates, str) else tuple(covariates)
    unknown = [c for c in covariates if c not in VARIABLES]
    if unknown:
        raise AnalysisError(
            f"unknown covariate {unknown[0]!r}; use names of the data dictionary")
    return covariates


def _base(entry: str, fingerprint: str, query: str,
          options: tuple[tuple[str, Any], ...]) -> tuple[FilterResult, dict[str, Any]]:
    selected, label = _selection(fingerprint, query)
    fields = {
        "entry": entry, "fingerprint": fingerprint, "query": query,
        "filters": tuple(selected.spec.describe()), "data_label": label, "options": options,
        "attrition": selected.attrition, "n_by_group": dict(selected.n_by_group),
    }
    return selected, fields


def _run(parts: dict[str, Any], errors: dict[str, str], name: str,
         fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Compute one part; an AnalysisError becomes a message in ``errors``."""
    try:
        parts[name] = fn(*args, **kwargs)
    except AnalysisError as err:
        errors[name] = str(err)
    return parts.get(name)


def _guard(entry: str) -> Callable[[Callable[..., ApiResult]], Callable[..., ApiResult]]:
    """Turn project errors raised before the cached computation into a result."""

    def decorate(fn: Callable[..., ApiResult]) -> Callable[..., ApiResult]:
        @functools.wraps(fn)
        def wrapper(fingerprint: str, query: str | None = "", *args: Any,
                    **kwargs: Any) -> ApiResult:
            try:
                return fn(fingerprint, query, *args, **kwargs)
            except ExplorerError as err:
                return ApiResult(entry=entry, fingerprint=str(fingerprint),
                                 query=str(query or ""), error=str(err))

        return wrapper

    return decorate


def clear() -> None:
    """Empty the shared cache and this process's filtered-frame cache."""
    cache.clear()
    _selection.cache_clear()


# --------------------------------------------------------------------------- selection
def filtered_frame(fingerprint: str, query: str | None = "") -> pd.DataFrame:
    """The selected patient rows (kept in this process only, never in the shared cache).

    Returns a shallow copy: with copy-on-write, changing it never changes the kept frame.

    Raises
    ------
    FilterSpecError
        Bad query. The registry's error for an unknown fingerprint is raised as is.
    """
    selected, _label = _selection(fingerprint, _canonical(query))
    return selected.frame.copy(deep=False)


@_guard("selection")
def selection(fingerprint: str, query: str | None = "") -> ApiResult:
    """Attrition and group sizes of a selection (no statistics).

    Parts: none. Use :attr:`ApiResult.attrition` and :attr:`ApiResult.n_by_group`.
    """
    return _selection_cached(fingerprint, _canonical(query))


@cache.memoize("api.selection")
def _selection_cached(fingerprint: str, query: str) -> ApiResult:
    _selected, fields = _base("selection", fingerprint, query, ())
    return ApiResult(**fields)


# --------------------------------------------------------------------------- overview
def model_attrition(attrition: pd.DataFrame, ancova_result: Any, outcome: str) -> pd.DataFrame:
    """Attrition with a final ``"model"`` step: the complete cases of the ANCOVA.

    Patients of the compared groups (none, spotty) left out of the model for a
    missing outcome or covariate are ``n_excluded_missing``; patients of other
    groups (when included by the filter) are excluded without a missing value.
    """
    last = attrition.iloc[-1]
    n_used = int(ancova_result.n_used)
    ls = ancova_result.ls_means.set_index("level")["n"]
    n_none = int(ls.get("none", 0))
    n_spotty = int(ls.get("spotty", 0))
    in_comparison = int(last["n_none"]) + int(last["n_spotty"])
    label = VARIABLES[outcome].label
    covs = ", ".join(VARIABLES[c].label if c in VARIABLES else c
                     for c in ancova_result.covariates)
    row = {
        "step": "model",
        "description": (f"Complete cases for the ANCOVA of {label} "
                        f"(outcome, group and covariates: {covs})"),
        "n": n_used, "n_excluded": int(last["n"]) - n_used,
        "n_excluded_missing": in_comparison - n_used, "n_missing_kept": 0,
        "n_none": n_none, "n_spotty": n_spotty,
    }
    return pd.concat([attrition, pd.DataFrame([row], columns=ATTRITION_COLUMNS)],
                     ignore_index=True)


@_guard("overview")
def overview(fingerprint: str, query: str | None = "", outcome: str = "delta_pav",
             weights: str = "proportional") -> ApiResult:
    """Headline numbers: group sizes, attrition and the adjusted comparison.

    Parts: ``"ancova"`` (:class:`analysis.stats.linear.ancova.AncovaResult`, default covariates,
    LS means with ``weights``). The attrition ends with a ``"model"`` step
    (complete cases of that ANCOVA) when the model could be fitted.
    """
    return _overview(fingerprint, _canonical(query), _check_outcome(outcome),
                     _check_weights(weights))


@cache.memoize("api.overview")
def _overview(fingerprint: str, query: str, outcome: str,
              weights: str = "proportional") -> ApiResult:

    selected, fields = _base("overview", fingerprint, query,
                             _options(outcome=outcome, weights=weights))
    parts: dict[str, Any] = {}
    errors: dict[str, str] = {}
    fit = _run(parts, errors, "ancova", ancova, selected.frame, outcome, weights=weights)
    if fit is not None:
        fields["attrition"] = model_attrition(selected.attrition, fit, outcome)
    return ApiResult(**fields, parts=parts, errors=errors)


# --------------------------------------------------------------------------- baseline
@_guard("baseline_table")
def baseline_table(fingerprint: str, query: str | None = "") -> ApiResult:
    """Table 1 of the selection. Parts: ``"table_one"`` (TableOneResult)."""
    return _baseline_table(fingerprint, _canonical(query))


@cache.memoize("api.baseline_table")
def _baseline_table(fingerprint: str, query: str) -> ApiResult:

    selected, fields = _base("baseline_table", fingerprint, query, ())
    parts: dict[str, Any] = {}
    errors: dict[str, str] = {}
    _run(parts, errors, "table_one", table_one, selected.frame)
    return ApiResult(**fields, parts=parts, errors=errors)


# --------------------------------------------------------------------------- progression
def _paired_columns(outcome: str) -> tuple[str, str]:
    before = VARIABLES[outcome].baseline or ""
    return before, before.replace("_baseline", "_followup")


@_guard("progression")
def progression(fingerprint: str, query: str | None = "", outcome: str = "delta_pav",
                bins: int = 30, weights: str = "proportional") -> ApiResult:
    """Progression of ``outcome`` by group.

    Parts: ``"summary"`` (ProgressionSummary), ``"histogram"``, ``"box"``, ``"kde"``,
    ``"ecdf"`` (server-side distribution summaries), ``"paired"`` (baseline and
    follow-up means), ``"ancova"`` (LS means, default model, without the diagnostics
    table: those are on :func:`comparison`), ``"dose_response"``. ``weights`` is the
    LS-mean weighting of both models.
    """
    if isinstance(bins, bool) or not isinstance(bins, int) or not 1 <= bins <= 500:
        raise AnalysisError(f"bins must be a whole number from 1 to 500, not {bins!r}")
    return _progression(fingerprint, _canonical(query), _check_outcome(outcome), bins,
                        _check_weights(weights))


@cache.memoize("api.progression")
def _progression(fingerprint: str, query: str, outcome: str, bins: int,
                 weights: str = "proportional") -> ApiResult:

    selected, fields = _base("progression", fingerprint, query,
                             _options(outcome=outcome, bins=bins, weights=weights))
    data = selected.frame
    parts: dict[str, Any] = {}
    errors: dict[str, str] = {}
    _run(parts, errors, "summary", progression_summary, data, outcome)
    _run(parts, errors, "histogram", distributions.histogram, data, outcome, bins=bins)
    _run(parts, errors, "box", distributions.box_summary, data, outcome)
    _run(parts, errors, "kde", distributions.kde, data, outcome)
    _run(parts, errors, "ecdf", distributions.ecdf, data, outcome)
    before, after = _paired_columns(outcome)
    _run(parts, errors, "paired", distributions.paired_summary, data, before, after)
    _run(parts, errors, "ancova", ancova, data, outcome, weights=weights, diagnostics=False)
    _run(parts, errors, "dose_response", dose_response, data, outcome, weights=weights)
    return ApiResult(**fields, parts=parts, errors=errors)


# --------------------------------------------------------------------------- comparison
@_guard("comparison")
def comparison(fingerprint: str, query: str | None = "", outcome: str = "delta_pav",
               covariates: Sequence[str] | None = None,
               weights: str = "proportional", subgroups: bool = True) -> ApiResult:
    """Adjusted comparison and subgroup effects.

    ``covariates=None`` uses :func:`analysis.data.schema.default_covariates`; ``()`` fits
    the unadjusted model. Parts: ``"ancova"`` (AncovaResult), ``"subgroups"``
    (SubgroupResult; left out when ``subgroups=False``, the costly part).
    """
    return _comparison(fingerprint, _canonical(query), _check_outcome(outcome),
                       _check_covariates(_tuple(covariates)), _check_weights(weights),
                       bool(subgroups))


@cache.memoize("api.comparison")
def _comparison(fingerprint: str, query: str, outcome: str,
                covariates: tuple[str, ...] | None, weights: str,
                subgroups: bool = True) -> ApiResult:

    selected, fields = _base("comparison", fingerprint, query, _options(
        outcome=outcome, covariates=covariates, weights=weights, subgroups=subgroups))
    data = selected.frame
    parts: dict[str, Any] = {}
    errors: dict[str, str] = {}
    _run(parts, errors, "ancova", ancova, data, outcome, covar=covariates, weights=weights)
    if subgroups:
        _run(parts, errors, "subgroups", subgroup_effects, data, outcome, covar=covariates,
             weights=weights)
    return ApiResult(**fields, parts=parts, errors=errors)


# --------------------------------------------------------------------------- therapy
@_guard("therapy")
def therapy(fingerprint: str, query: str | None = "", outcome: str = "delta_pav",
            modifier: str = "ldl_intensive", covariates: Sequence[str] | None = None,
            weights: str = "proportional") -> ApiResult:
    """Does the group difference depend on therapy intensity?

    ``modifier`` is ``"ldl_intensive"`` or ``"sbp_intensive"`` (computed with the
    query's ``ldl_cut`` / ``sbp_cut``). Parts: ``"interaction"`` (InteractionResult,
    group x therapy flag) and ``"continuous"`` (ContinuousInteractionResult, group x
    the measured LDL-C or SBP); both use ``weights`` for the reference grid.
    """
    if modifier not in THERAPY_MODIFIERS:
        raise AnalysisError(f"unknown therapy modifier {modifier!r}; choose one of "
                            f"{', '.join(THERAPY_MODIFIERS)}")
    return _therapy(fingerprint, _canonical(query), _check_outcome(outcome), modifier,
                    _check_covariates(_tuple(covariates)), _check_weights(weights))


@cache.memoize("api.therapy")
def _therapy(fingerprint: str, query: str, outcome: str, modifier: str,
             covariates: tuple[str, ...] | None, weights: str) -> ApiResult:

    selected, fields = _base("therapy", fingerprint, query, _options(
        outcome=outcome, modifier=modifier, covariates=covariates, weights=weights))
    data = selected.frame
    parts: dict[str, Any] = {}
    errors: dict[str, str] = {}
    _run(parts, errors, "interaction", interaction, data, outcome, modifier,
         covar=covariates, weights=weights)
    _run(parts, errors, "continuous", continuous_interaction, data, outcome,
         THERAPY_MODIFIERS[modifier], covar=covariates, weights=weights)
    return ApiResult(**fields, parts=parts, errors=errors)


__all__ = [
    "ApiResult", "THERAPY_MODIFIERS", "WEIGHTS", "baseline_table", "clear",
    "comparison", "filtered_frame", "model_attrition", "overview", "progression",
    "selection", "therapy",
]
