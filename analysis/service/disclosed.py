"""Disclosure control applied once, to every result the cached entry points return.

:func:`disclose` is the last step of every entry of :mod:`analysis.service.api` (its
``_guard``): the shared cache keeps the exact results, and every consumer (pages,
summary downloads, the meeting kit, a notebook calling ``api``) gets the result with
the rule of ``EXPLORER_SUPPRESS_K`` / ``EXPLORER_ROUND_BASE`` applied
(:mod:`analysis.disclosure`). Row-level data (:func:`api.filtered_frame`) is not
redacted: the role decides who may see it.

An entry whose result this module does not know is refused while the rule is on
(its ``.value`` is None and ``.error`` says so): a new entry cannot show unprotected
counts by accident. Messages of results that could not be computed ("The 'spotty' group
has 5 patients ...") and the ``method`` and ``notes`` texts of results ("...; n = 68")
get their counts of patients, rows and values, and every ``n = ...``, shown as the
rule says.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Hashable
from typing import Any

import pandas as pd

from analysis.disclosure import results as R
from analysis.disclosure.cells import shown_count
from analysis.disclosure.definition import redact_definition_curve, redact_definition_flow
from analysis.disclosure.rule import DisclosureRule
from analysis.disclosure.rule import current as current_rule
from analysis.disclosure.table_one import redact_table_one
from analysis.display import format_count
from analysis.service.cache import RecentResults, private_copy
from analysis.service.results import Computed, Selection

_DISTRIBUTIONS = ("histogram", "box", "kde", "ecdf", "paired")


def _distribution(kind: str, value: Any, rule: DisclosureRule) -> Any:
    return R.redact_distribution(value, kind, rule)


#: Entry name -> how its value is redacted.
REDACTORS: dict[str, Callable[[Any, DisclosureRule], Any]] = {
    "table_one": redact_table_one,
    "progression_summary": R.redact_progression,
    "ancova": R.redact_ancova,
    "subgroups": R.redact_subgroups,
    "dose_response": R.redact_dose_response,
    "interaction": R.redact_interaction,
    "continuous_interaction": R.redact_n_used,
    "sensitivity": R.redact_sensitivity,
    "propensity": lambda v, rule: R.redact_n_used(v, rule, "n"),
    "model_flow": lambda v, rule: R.redact_attrition(v, rule)[0],
    "definition_flow": redact_definition_flow,
    "definition_curve": redact_definition_curve,
    **{kind: functools.partial(_distribution, kind) for kind in _DISTRIBUTIONS},
}


#: Counts inside messages: "5 patients", "12 rows", "3 values", "n = 5".
_COUNT_TEXT = re.compile(r"\b(?P<n>\d[\d,]*)(?P<what> (?:patients?|rows?|values?)\b)"
                         r"|(?P<lead>\bn ?= ?)(?P<m>\d[\d,]*)")


def redact_message(text: str | None, rule: DisclosureRule) -> str | None:
    """``text`` with the counts it states (see the module docstring) as the rule shows them."""
    if not text or rule.k <= 0 and rule.base <= 1:
        return text

    def one(match: re.Match) -> str:
        if match.group("n") is not None:
            n = int(match.group("n").replace(",", ""))
            return f"{format_count(shown_count(n, rule))}{match.group('what')}"
        n = int(match.group("m").replace(",", ""))
        return f"{match.group('lead')}{format_count(shown_count(n, rule))}"

    return _COUNT_TEXT.sub(one, text)


def redact_selection(sel: Selection, rule: DisclosureRule) -> Selection:
    """The selection with its attrition, group sizes and total as the rule shows them."""
    attrition, groups, total = R.redact_attrition(sel.attrition, rule, dict(sel.n_by_group))
    return dataclasses.replace(sel, attrition=attrition, n_by_group=groups, n_shown=total,
                               disclosure=rule.caption())


def disclose(result: Computed, rule: DisclosureRule | None = None) -> Computed:
    """``result`` with the disclosure rule applied (unchanged when the rule is off)."""
    rule = rule or current_rule()
    if not rule.active or not isinstance(result, Computed):
        return result
    sel = redact_selection(result.selection, rule) if result.selection is not None else None
    value, error = result.value, redact_message(result.error, rule)
    if result.entry == "selection" and value is not None:
        value = sel
    elif value is not None:
        redact = REDACTORS.get(result.entry)
        if redact is None:
            value, error = None, ("This result is withheld: disclosure control "
                                  f"(EXPLORER_SUPPRESS_K={rule.k}) has no rule for it.")
        else:
            value = _texts(redact(value, rule), rule)
    return dataclasses.replace(result, selection=sel, value=value, error=error)


def _texts(value: Any, rule: DisclosureRule) -> Any:
    """``value`` with the counts in its ``method`` and ``notes`` (and a frame's ``note``
    column) redacted by :func:`redact_message`."""
    if isinstance(value, pd.DataFrame):
        if "note" in value.columns:
            value = value.assign(note=[redact_message(t, rule) if isinstance(t, str) else t
                                       for t in value["note"]])
        return value
    if not dataclasses.is_dataclass(value):
        return value
    changes: dict[str, Any] = {}
    names = {f.name for f in dataclasses.fields(value)}
    if "method" in names and isinstance(value.method, str):
        changes["method"] = redact_message(value.method, rule)
    if "notes" in names and isinstance(value.notes, tuple):
        changes["notes"] = tuple(redact_message(t, rule) if isinstance(t, str) else t
                                 for t in value.notes)
    return dataclasses.replace(value, **changes) if changes else value


#: Disclosed results kept in this process: the redaction takes milliseconds (tens for
#: Table 1), a cache hit well under one.
LOCAL_DISCLOSED = 256
_memo = RecentResults(LOCAL_DISCLOSED)  # hands out private copies


def disclosed(key: Hashable, compute: Callable[[], Computed]) -> Computed:
    """``disclose(compute())``, kept in this process under ``key`` and the rule in force.

    ``key`` names the entry and its arguments (``compute`` is the cached entry for
    them). A result whose selection failed (bad query, unknown dataset) is not kept;
    an unhashable key (a list option) is computed each time.
    """
    rule = current_rule()
    if not rule.active:
        return compute()
    full = (key, rule)
    try:
        hit = _memo.get(full)  # a private copy: a caller changing it never changes ours
    except TypeError:  # an unhashable option: no memo
        return disclose(compute(), rule)
    if hit is not None:
        return hit[0]
    result = disclose(compute(), rule)
    if result.selection is not None:
        _memo.put(full, private_copy(result))
    return result


def clear() -> None:
    """Forget the disclosed results kept in this process."""
    _memo.cache_clear()


__all__ = ["LOCAL_DISCLOSED", "REDACTORS", "clear", "disclose", "disclosed",
           "redact_message", "redact_selection"]
