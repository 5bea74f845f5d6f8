"""Primary and secondary suppression and rounding of linked counts (hand-made tables)."""

from __future__ import annotations

import itertools

import numpy as np

from analysis.disclosure.cells import protect, suppressed_cells
from analysis.disclosure.rule import REDACTED


def _table(cells: list[list[int]]):
    """A rows x columns table with row totals, column totals and the grand total."""
    values, lines = {}, []
    for i, row in enumerate(cells):
        for j, v in enumerate(row):
            values[(i, j)] = v
        values[(i, "T")] = sum(row)
        lines.append(((i, "T"), [(i, j) for j in range(len(row))]))
    for j in range(len(cells[0])):
        values[("T", j)] = sum(r[j] for r in cells)
        lines.append((("T", j), [(i, j) for i in range(len(cells))]))
    values[("T", "T")] = sum(map(sum, cells))
    lines.append((("T", "T"), [("T", j) for j in range(len(cells[0]))]))
    lines.append((("T", "T"), [(i, "T") for i in range(len(cells))]))
    return values, lines


def test_primary_marks_one_to_k_and_keeps_zero(rule7_exact):
    shown = protect({"a": 0, "b": 1, "c": 7, "d": 8}, [], rule7_exact)
    assert shown == {"a": 0, "b": "≤7", "c": "≤7", "d": 8}


def test_one_small_level_takes_the_next_smallest_with_it(rule7_exact):
    # levels 3, 40, 12 of a group of 55: 3 alone would be 55 - 40 - 12; the next
    # smallest (12) is suppressed with it (the rule, by hand)
    values = {"n": 55, "a": 3, "b": 40, "c": 12}
    shown = protect(values, [("n", ["a", "b", "c"])], rule7_exact)
    assert shown == {"n": 55, "a": "≤7", "b": 40, "c": REDACTED}


def test_two_small_cells_need_no_secondary(rule7_exact):
    values = {"n": 50, "a": 3, "b": 5, "c": 42}
    assert protect(values, [("n", ["a", "b", "c"])], rule7_exact) == {
        "n": 50, "a": "≤7", "b": "≤7", "c": 42}


def test_secondary_prefers_a_cell_above_zero(rule7_exact):
    values = {"n": 23, "a": 3, "z": 0, "b": 20}
    shown = protect(values, [("n", ["a", "z", "b"])], rule7_exact)
    assert shown["z"] == 0 and shown["b"] == REDACTED


def test_two_way_table_has_no_recoverable_cell(rule7_exact, recoverable):
    # a 2 x 3 table with one small cell: suppression must spread over a cycle of cells
    values, lines = _table([[3, 40, 12], [30, 25, 18]])
    shown = protect(values, lines, rule7_exact)
    assert shown[(0, 0)] == "≤7"
    assert sum(isinstance(v, str) for v in shown.values()) >= 4  # a rectangle at least
    assert recoverable(values, lines, shown) == []


def test_random_tables_have_no_recoverable_cell(rule7_exact, recoverable):
    rng = np.random.default_rng(7)
    for rows, cols in itertools.product((2, 3, 4), (2, 3, 5)):
        for _ in range(5):
            cells = rng.integers(0, 30, size=(rows, cols)).tolist()
            values, lines = _table(cells)
            shown = protect(values, lines, rule7_exact)
            assert recoverable(values, lines, shown) == [], cells


def test_hidden_small_cell_is_protected(rule7_exact, recoverable):
    # yes/no row: n = 20 shown, "yes" = 17 shown would give "no" = 3 away
    values = {"n": 20, "yes": 17, "no": 3}
    shown = protect(values, [("n", ["yes", "no"])], rule7_exact, hidden={"no"})
    assert shown["yes"] == REDACTED and shown["n"] == 20


def test_hidden_cells_alone_leave_shown_cells_alone(rule7_exact):
    values = {"n": 20, "yes": 5, "no": 15}
    primary, secondary = suppressed_cells(values, [("n", ["yes", "no"])], rule7_exact,
                                          hidden={"no"})
    assert primary == {"yes"} and secondary == set()  # "no" is unknown: yes is safe


def test_fixed_cells_are_never_chosen(rule7_exact):
    values = {"size": 30, "n": 27, "missing": 3}
    shown = protect(values, [("size", ["n", "missing"])], rule7_exact, fixed={"size"})
    assert shown["n"] == REDACTED and shown["size"] == 30


def test_rounding_after_suppression(rule7):
    shown = protect({"n": 58, "a": 3, "b": 43, "c": 12}, [("n", ["a", "b", "c"])], rule7)
    # 58 -> 60, 43 -> 45 (nearest 5, by hand); 3 and the complementary 12 suppressed
    assert shown == {"n": 60, "a": "≤7", "b": 45, "c": REDACTED}


def test_rule_off_leaves_every_count(rule_off):
    values, lines = _table([[3, 40, 12], [30, 1, 18]])
    assert protect(values, lines, rule_off) == values
