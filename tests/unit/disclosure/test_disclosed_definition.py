"""Disclosure control of the definition explorer's flow table and curve."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.disclosure.definition import redact_definition_curve, redact_definition_flow
from analysis.disclosure.rule import DisclosureRule
from analysis.selection.definition import SpottyDefinition
from analysis.stats.definition import DefinitionCurve, DefinitionFlow

GROUPS = ["none", "spotty", "other"]


def _flow(cells: list[list[int]]) -> DefinitionFlow:
    table = pd.DataFrame(cells, index=pd.Index(GROUPS, name="published"),
                         columns=pd.Index(GROUPS, name="chosen"))
    moves = pd.DataFrame([(p, c, table.at[p, c]) for p in GROUPS for c in GROUPS],
                         columns=["published", "chosen", "n"])
    n = int(table.to_numpy().sum())
    return DefinitionFlow(table=table, moves=moves, definition=SpottyDefinition(max_arc=60),
                          n=n, n_moved=n - int(np.trace(table.to_numpy())), method="")


def test_a_small_move_cannot_be_recovered_from_the_group_sizes():
    # published spotty -> chosen other: 3 patients (≤ 7). The row total (spotty under
    # the published definition) and the column totals are shown on other pages, so the
    # 3 would be row total - 36 - 0: another cell of that row must be hidden too.
    flow = _flow([[24, 0, 0], [0, 36, 3], [0, 0, 84]])
    out = redact_definition_flow(flow, DisclosureRule(k=7, base=5))
    assert out.table.at["spotty", "other"] == "≤7"
    hidden = [c for c in GROUPS if isinstance(out.table.at["spotty", c], str)]
    assert len(hidden) >= 2
    # n_moved is the 3 itself (the only move): it must not be shown
    assert isinstance(out.n_moved, str)
    moves = out.moves.set_index(["published", "chosen"])["n"]
    assert moves[("spotty", "other")] == "≤7"
    # shown counts are multiples of the base
    shown = [v for v in out.table.to_numpy().ravel() if not isinstance(v, str)]
    assert all(v % 5 == 0 for v in shown)


def test_rule_off_keeps_the_counts():
    flow = _flow([[24, 0, 0], [0, 36, 3], [0, 0, 84]])
    out = redact_definition_flow(flow, DisclosureRule(k=0, base=1))
    assert out.table.at["spotty", "other"] == 3 and out.n_moved == 3 and out.n == 147


def test_curve_point_with_a_small_group_is_withheld():
    curve = pd.DataFrame({
        "axis": ["arc", "arc"], "max_arc": [30.0, 90.0], "min_length": [1.0, 1.0],
        "max_length": [4.0, 4.0], "other": ["exclude"] * 2, "estimate": [0.5, 0.4],
        "se": [0.2, 0.1], "ci_low": [0.1, 0.2], "ci_high": [0.9, 0.6], "t": [2.5, 4.0],
        "df": [30.0, 120.0], "p": [0.02, 0.001], "n_none": [24, 24], "n_spotty": [5, 101],
        "n": [29, 125], "published": [False, True], "chosen": [False, True], "note": ["", ""]})
    res = DefinitionCurve(curve=curve, definition=SpottyDefinition(), dv="delta_pav",
                          covariates=(), dropped=(), formula="", method="", notes=(),
                          alpha=0.05)
    out = redact_definition_curve(res, DisclosureRule(k=7, base=5)).curve
    assert np.isnan(out.at[0, "estimate"]) and np.isnan(out.at[0, "ci_low"])
    assert out.at[0, "n_spotty"] == "≤7"
    assert out.at[1, "estimate"] == 0.4 and out.at[1, "n_spotty"] == 100
