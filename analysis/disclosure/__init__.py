"""Disclosure control: small counts suppressed, totals protected, counts rounded,
summaries of small groups withheld (OpenSAFELY-style output rules).

* :mod:`~analysis.disclosure.rule`: the rule in force (``EXPLORER_SUPPRESS_K``,
  ``EXPLORER_ROUND_BASE``), its markers and caption line;
* :mod:`~analysis.disclosure.cells`: primary and secondary suppression and rounding of
  linked counts (cells and the lines that add up to totals);
* :mod:`~analysis.disclosure.table_one` and :mod:`~analysis.disclosure.results`: the
  rule applied to each analysis result.

The service layer applies it to every entry point (:mod:`analysis.service.disclosed`).
Pure Python: no dash, no flask.
"""

from analysis.disclosure.cells import protect, shown_count, suppressed_cells
from analysis.disclosure.rule import REDACTED, WITHHELD, DisclosureRule, current

__all__ = ["REDACTED", "WITHHELD", "DisclosureRule", "current", "protect", "shown_count",
           "suppressed_cells"]
