"""Disclosure control of the definition explorer's results.

The flow table (patients by group under the published and the chosen definition) is
a 3 x 3 table of counts whose row totals (the published group sizes) and column totals
(the chosen group sizes) are shown on every other page, so they are taken as known
(``fixed``); the patients who move (``n_moved``, the off-diagonal sum) and the total
are further lines. The curve's counts per grid point are standalone counts; the
estimate of a point where either group has n ≤ k is withheld.

Limitation (as for the other tables, each is protected on its own): neighbouring points
of the curve differ by the patients whose deposits lie between two limits; rounding to
the base blurs that difference but does not prevent it for a base of 1. Use a base
above 1 with a threshold.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from analysis.disclosure.cells import protect, shown_count
from analysis.disclosure.results import _note, _objects, _withhold
from analysis.disclosure.rule import DisclosureRule

_ESTIMATES = ("estimate", "se", "ci_low", "ci_high", "t", "p")


def redact_definition_flow(flow, rule: DisclosureRule):
    """Flow table cells, the moves (the same cells), ``n`` and ``n_moved``."""
    table = flow.table
    values: dict = {}
    for r in table.index:
        for c in table.columns:
            values[(str(r), str(c))] = int(table.at[r, c])
    cells = list(values)
    lines: list = []
    fixed: set = set()
    for r in table.index:
        key = ("row", str(r))
        values[key] = int(table.loc[r].sum())
        fixed.add(key)
        lines.append((key, [(str(r), str(c)) for c in table.columns]))
    for c in table.columns:
        key = ("col", str(c))
        values[key] = int(table[c].sum())
        fixed.add(key)
        lines.append((key, [(str(r), str(c)) for r in table.index]))
    values["total"] = int(flow.n)
    lines.append(("total", cells))
    values["moved"] = int(flow.n_moved)
    lines.append(("moved", [k for k in cells if k[0] != k[1]]))
    shown = protect(values, lines, rule, fixed=fixed)
    out = pd.DataFrame(index=table.index, columns=table.columns, dtype=object)
    for r in table.index:
        for c in table.columns:
            out.at[r, c] = shown[(str(r), str(c))]
    moves = _objects(flow.moves, ("n",))
    moves["n"] = [shown[(str(p), str(c))]
                  for p, c in zip(moves["published"], moves["chosen"], strict=True)]
    return dataclasses.replace(flow, table=out, moves=moves, n=shown["total"],
                               n_moved=shown["moved"])


def redact_definition_curve(curve, rule: DisclosureRule):
    """Counts per grid point rounded (or ``"≤k"``); estimates of a point whose spotty or
    none group has n ≤ k withheld."""
    frame = curve.curve.reset_index(drop=True)
    small = [i for i in range(len(frame))
             if any(pd.notna(frame.at[i, col]) and rule.withholds(int(frame.at[i, col]))
                    for col in ("n_none", "n_spotty"))]
    out = _objects(frame, ("n_none", "n_spotty", "n"))
    for col in ("n_none", "n_spotty", "n"):
        out[col] = [shown_count(int(v), rule) if pd.notna(v) else v for v in frame[col]]
    out = _withhold(out, small, _ESTIMATES)
    labels = [f"arc < {frame.at[i, 'max_arc']:g}°, length {frame.at[i, 'min_length']:g}-"
              f"{frame.at[i, 'max_length']:g} mm" for i in small]
    return dataclasses.replace(curve, curve=out, notes=_note(curve.notes, rule, labels))


__all__ = ["redact_definition_curve", "redact_definition_flow"]
