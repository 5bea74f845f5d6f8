"""Typed results of the cached entry points (:mod:`analysis.service.api`).

Every entry point answers with a :class:`Computed`: the analysis value (a frozen
result object of :mod:`analysis.stats`, for example an ``AncovaResult``) or the message
why it could not be computed, together with the :class:`Selection` it was computed
on (filters in words, attrition, n per group, the dataset's label). A page composes
the entries it needs; a notebook reads ``.value``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import pandas as pd

from analysis.errors import AnalysisError
from analysis.selection.spec import FilterSpec

T = TypeVar("T")


@dataclass(frozen=True)
class Selection:
    """The patients an analysis ran on.

    Attributes
    ----------
    fingerprint : str
        Dataset fingerprint (:mod:`analysis.data.registry`).
    query : str
        Canonical filter query (:meth:`FilterSpec.to_query`).
    spec : FilterSpec
        The parsed filter spec (cut-points, groups, ...).
    filters : tuple of str
        :meth:`FilterSpec.describe` lines, for footnotes and provenance.
    data_label : str
        The simulated-data label, or ``""`` for a user's own data.
    attrition : DataFrame
        :func:`analysis.selection.apply.apply_filters` attrition table.
    n_by_group : mapping
        Patients left per included calcification group (with disclosure control on,
        :mod:`analysis.service.disclosed`, as shown: a rounded count or ``"≤k"``).
    n_shown : int, str or None
        The total as disclosure control shows it (None: the rule is off).
    disclosure : str
        The disclosure-control line of captions (``""`` when the rule is off).
    """

    fingerprint: str
    query: str
    spec: FilterSpec
    filters: tuple[str, ...]
    data_label: str
    attrition: pd.DataFrame
    n_by_group: Mapping[str, int | str] = field(default_factory=dict)
    n_shown: int | str | None = None
    disclosure: str = ""

    @property
    def n(self) -> int | str:
        """Patients in the selection (as shown, under disclosure control)."""
        if self.n_shown is not None:
            return self.n_shown
        return int(sum(self.n_by_group.values()))


@dataclass(frozen=True)
class Computed(Generic[T]):
    """One analysis on one selection: its value, or why there is none.

    Attributes
    ----------
    entry : str
        Entry point name (``"ancova"``, ``"table_one"``, ...).
    selection : Selection or None
        ``None`` when the selection itself failed (bad query, unknown dataset).
    options : tuple of (name, value)
        The analysis options actually used (after the model rules, e.g. raw means
        fit no covariates).
    value : T or None
        The analysis result.
    error : str or None
        The user-facing message when ``value`` is ``None``.
    """

    entry: str
    selection: Selection | None
    options: tuple[tuple[str, Any], ...] = ()
    value: T | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the value was computed."""
        return self.error is None and self.value is not None

    def unwrap(self) -> T:
        """The value; raises :class:`AnalysisError` with the message when there is none."""
        if self.value is None:
            raise AnalysisError(self.error or f"{self.entry} could not be computed")
        return self.value

    @property
    def n_by_group(self) -> Mapping[str, int]:
        """Group sizes of the selection (empty when the selection failed)."""
        return self.selection.n_by_group if self.selection is not None else {}


__all__ = ["Computed", "Selection"]
