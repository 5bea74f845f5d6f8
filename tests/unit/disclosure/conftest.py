"""Fixtures of the disclosure-control tests: rules, and an attacker that tries to
recover suppressed cells from the shown ones by linear algebra (any combination of
the lines, not only one subtraction)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from analysis.disclosure.rule import DisclosureRule


@pytest.fixture
def rule7() -> DisclosureRule:
    """The OpenSAFELY-style rule: counts <= 7 suppressed, rounding to 5."""
    return DisclosureRule(k=7, base=5)


@pytest.fixture
def rule7_exact() -> DisclosureRule:
    """Suppression without rounding, so only suppression protects a cell."""
    return DisclosureRule(k=7, base=1)


@pytest.fixture
def rule_off() -> DisclosureRule:
    return DisclosureRule(k=0, base=1)


@pytest.fixture
def recoverable() -> Callable:
    """``recoverable(values, lines, shown, hidden)``: the suppressed cells (shown as a
    string) whose value follows from the shown counts and the lines.

    Each line says total - sum(parts) = 0. With the shown cells moved to the right-hand
    side, a cell x_j of the unknowns (suppressed and hidden cells) is determined exactly
    when the unit vector e_j lies in the row space of the coefficient matrix, i.e. when
    appending e_j does not raise the matrix rank.
    """

    def find(values, lines, shown, hidden=()):
        unknown = [c for c in values if isinstance(shown.get(c), str) or c in set(hidden)]
        col = {c: j for j, c in enumerate(unknown)}
        rows = []
        for total, parts in lines:
            row = np.zeros(len(unknown))
            for cell, sign in [(total, 1.0)] + [(p, -1.0) for p in parts]:
                if cell in col:
                    row[col[cell]] += sign
            if row.any():
                rows.append(row)
        if not rows:
            return [c for c in unknown if c not in set(hidden)]
        a = np.array(rows)
        rank = np.linalg.matrix_rank(a)
        out = []
        for c in unknown:
            if c in set(hidden):
                continue
            e = np.zeros(len(unknown))
            e[col[c]] = 1.0
            if np.linalg.matrix_rank(np.vstack([a, e])) == rank:
                out.append(c)
        return out

    return find
