"""Cached entry points of the definition explorer (re-exported by :mod:`analysis.service.api`).

``definition_flow(fp, query)`` and ``definition_curve(fp, query, ...)`` take a dataset
fingerprint and a filter query, like every entry of :mod:`analysis.service.api`; the
query's ``spotty_arc`` / ``spotty_len`` / ``spotty_other`` are the chosen definition.
Both work on the patients the query's *other* filters select, of every calcification
group (their group is what the definition decides), and answer with a
:class:`~analysis.service.results.Computed` whose ``.selection`` is the query's own
selection (its attrition shows the patients the chosen definition moves to "other").
Without a lesion file ``.error`` says how to provide one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from analysis.data import registry
from analysis.errors import AnalysisError
from analysis.selection.canonical import ALL_GROUPS
from analysis.selection.definition import SpottyDefinition
from analysis.service import api, cache
from analysis.service.model_options import check_outcome, model_options
from analysis.service.results import Computed
from analysis.stats.definition import (
    DEFAULT_ARCS,
    DEFAULT_LENGTHS,
    DefinitionCurve,
    DefinitionFlow,
)
from analysis.stats.definition import definition_curve as _curve
from analysis.stats.definition import definition_flow as _flow


def _every_group_query(query: str) -> str:
    """The canonical query of the same filters with every group and the published
    definition: the patients a definition can regroup."""
    spec = api._parsed(query)[0]
    return dataclasses.replace(spec, groups=ALL_GROUPS, definition=SpottyDefinition()).to_query()


def _run(entry: str, fingerprint: str, query: str, options: dict[str, Any],
         fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Computed:
    """``fn(candidate rows, lesions, *args)``; an AnalysisError becomes the message."""
    _rows, selection = api._selected(fingerprint, query)
    candidates, _sel = api._selected(fingerprint, _every_group_query(query))
    lesions = registry.ensure(fingerprint).lesions
    opts = tuple(options.items())
    try:
        value = fn(candidates.frame, lesions, *args, **kwargs)
    except AnalysisError as err:
        return Computed(entry, selection, opts, error=str(err))
    return Computed(entry, selection, opts, value=value)


@api._guard("definition_flow")
@cache.memoize("api.definition_flow")
def definition_flow(fingerprint: str, query: str) -> Computed[DefinitionFlow]:
    """Patients by group under the published and the query's definition (flow table).

    ``.value`` is a :class:`~analysis.stats.definition.DefinitionFlow`: ``table``
    (published rows x chosen columns), ``moves`` (``published, chosen, n``), ``n_moved``.
    """
    definition = api._parsed(query)[0].definition
    return _run("definition_flow", fingerprint, query, {}, _flow, definition)


def _grid(values: Sequence[float] | None, default: tuple[float, ...], name: str
          ) -> tuple[float, ...]:
    if values is None:
        return default
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise AnalysisError(f"{name} must be a sequence of numbers, not {values!r}")
    try:
        return tuple(sorted({float(v) for v in values}))
    except (TypeError, ValueError):
        raise AnalysisError(f"{name} must be numbers, not {values!r}") from None


@api._guard("definition_curve")
def definition_curve(fingerprint: str, query: str, outcome: str = "delta_pav",
                     covariates: Any = None, weights: str = "proportional",
                     means: str = "adjusted", arcs: Sequence[float] | None = None,
                     lengths: Sequence[float] | None = None) -> Computed[DefinitionCurve]:
    """The spotty - none difference (95% CI) of the headline ANCOVA over a grid of
    definitions through the query's one: arc limits ``arcs`` (default 30-180° by 10)
    and maximum lengths ``lengths`` (default 2-10 mm by 1).

    ``covariates`` and ``means`` as in :func:`analysis.service.api.ancova` (raw means fit
    none); the difference of LS means does not depend on the weighting, so ``weights`` is
    checked only. ``.value`` is a :class:`~analysis.stats.definition.DefinitionCurve`;
    its row with ``published`` is the published definition, ``chosen`` the query's.
    """
    covs, _w = model_options(means, covariates, weights)
    return _curve_cached(fingerprint, query, check_outcome(outcome), covs,
                         _grid(arcs, DEFAULT_ARCS, "arcs"),
                         _grid(lengths, DEFAULT_LENGTHS, "lengths"))


@cache.memoize("api.definition_curve")
def _curve_cached(fingerprint: str, query: str, outcome: str,
                  covariates: tuple[str, ...] | None, arcs: tuple[float, ...],
                  lengths: tuple[float, ...]) -> Computed[DefinitionCurve]:
    definition = api._parsed(query)[0].definition
    return _run("definition_curve", fingerprint, query,
                {"outcome": outcome, "covariates": covariates, "arcs": arcs,
                 "lengths": lengths},
                _curve, outcome, covar=covariates, definition=definition, arcs=arcs,
                lengths=lengths)


__all__ = ["definition_curve", "definition_flow"]
