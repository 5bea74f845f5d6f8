"""Which patients are analysed: the canonical filter spec, its query string, attrition.

:mod:`~analysis.selection.spec` holds :class:`FilterSpec` (query string and JSON round
trips), :mod:`~analysis.selection.canonical` the checks behind it and
:mod:`~analysis.selection.apply` :func:`apply_filters` with its attrition table.
"""

from analysis.selection.apply import ATTRITION_COLUMNS, FilterResult, apply_filters
from analysis.selection.spec import FilterSpec

__all__ = ["ATTRITION_COLUMNS", "FilterResult", "FilterSpec", "apply_filters"]
