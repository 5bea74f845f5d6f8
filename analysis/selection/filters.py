"""The selection API in one import, for modules written against this name.

New code imports from :mod:`analysis.selection` (``FilterSpec``, ``apply_filters``)
or from the module that holds a name: :mod:`~analysis.selection.spec`,
:mod:`~analysis.selection.apply`, :mod:`~analysis.selection.canonical`.
"""

from analysis.selection.apply import ATTRITION_COLUMNS, FilterResult, apply_filters
from analysis.selection.spec import FilterSpec

__all__ = ["ATTRITION_COLUMNS", "FilterResult", "FilterSpec", "apply_filters"]
