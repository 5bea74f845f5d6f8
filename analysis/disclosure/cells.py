"""Primary and secondary suppression and rounding of a set of linked counts.

A table of counts is given as cells (key -> count) and *lines*: a total and the parts
that add up to it (categorical levels summing to a group's n, the groups summing to the
overall column, an attrition step's n plus its excluded count giving the previous n).
A cell may be *hidden*: not shown, but derivable from shown cells (the "no" count of a
yes/no row is n minus "yes"); it is suppressed like any cell when small, but hiding it
again protects nothing, so it is chosen as a complementary cell only as a last resort.

The rule (:func:`protect`):

1. **Primary**: every count from 1 to k is suppressed (shown as ``"≤k"``; 0 is safe).
2. **Secondary**: while some line has exactly one suppressed cell (so that cell would be
   its total minus the other cells, or the total the sum of its parts), the smallest
   other cell of that line that is above 0 (a 0 only when there is no other) is also
   suppressed (shown as ``"redacted"``). Repeated until no line has exactly one: then no
   suppressed cell equals a shown total minus shown cells.
3. **Rounding**: every shown count is rounded to the nearest multiple of the base.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

from analysis.disclosure.rule import REDACTED, DisclosureRule, Shown

Line = tuple[Hashable, Sequence[Hashable]]


def _first_leak(cells_of: list[list[Hashable]], unknown: set[Hashable],
                must_hide: set[Hashable]) -> tuple[list[Hashable], Hashable, set] | None:
    """The first line that gives away a cell of ``must_hide``, with that cell and the
    cells known by then (shown ones and hidden ones derived by subtraction); None if
    nothing in ``must_hide`` can be derived."""
    unknown = set(unknown)
    changed = True
    while changed:
        changed = False
        for cells in cells_of:
            missing = [c for c in cells if c in unknown]
            if len(missing) != 1:
                continue
            if missing[0] in must_hide:
                return cells, missing[0], unknown
            unknown.discard(missing[0])  # a hidden cell derived from shown ones
            changed = True
    return None


def suppressed_cells(values: Mapping[Hashable, int], lines: Iterable[Line],
                     rule: DisclosureRule, hidden: Iterable[Hashable] = (),
                     fixed: Iterable[Hashable] = ()) -> tuple[set[Hashable], set[Hashable]]:
    """(primary, secondary) suppressed keys of ``values`` under ``rule``.

    A hidden cell is unknown to a reader unless it is the one unknown cell of a line
    (then it is the total minus the others). Suppression goes on until no suppressed
    cell, and no small hidden cell, can be derived that way.

    Parameters
    ----------
    values : mapping
        Cell key -> count (whole number, 0 or more).
    lines : iterable of (total key, part keys)
        Each total equals the sum of its parts. Keys missing from ``values`` are ignored.
    rule : DisclosureRule
        The threshold (``k = 0``: nothing is suppressed).
    hidden : iterable of keys
        Cells that are not shown.
    fixed : iterable of keys
        Cells shown elsewhere as they are (a group size in another table): never chosen
        as complementary cells here.
    """
    if rule.k <= 0:
        return set(), set()
    hidden = set(hidden) & set(values)
    primary = {key for key, v in values.items() if rule.is_small(v)}
    secondary: set[Hashable] = set()
    must_hide = set(primary)
    fixed = set(fixed)
    cells_of = [[c for c in (total, *parts) if c in values] for total, parts in lines]
    while (leak := _first_leak(cells_of, hidden | primary | secondary, must_hide)):
        cells, cell, unknown = leak
        known = [c for c in cells if c not in unknown and c not in fixed]
        shown = [c for c in known if c not in hidden]
        if not known:  # every other cell is shown elsewhere: nothing left to hide here
            must_hide.discard(cell)
            continue
        # shown cells first, then above-zero cells, then the smallest
        pick = min(shown or known, key=lambda c: (values[c] <= 0, values[c]))
        if pick in hidden:  # known only by derivation: hide what it was derived from
            must_hide.add(pick)
        else:
            secondary.add(pick)
            must_hide.add(pick)
    return primary - hidden, secondary


def protect(values: Mapping[Hashable, int], lines: Iterable[Line], rule: DisclosureRule,
            hidden: Iterable[Hashable] = (), fixed: Iterable[Hashable] = ()
            ) -> dict[Hashable, Shown]:
    """Every cell as shown: ``"≤k"`` (primary), ``"redacted"`` (secondary) or the count
    rounded to the base. See the module docstring for the rule and
    :func:`suppressed_cells` for the arguments."""
    primary, secondary = suppressed_cells(values, list(lines), rule, hidden, fixed)
    out: dict[Hashable, Shown] = {}
    for key, v in values.items():
        if key in primary:
            out[key] = rule.marker
        elif key in secondary:
            out[key] = REDACTED
        else:
            out[key] = rule.round(int(v))
    return out


def shown_count(n: int, rule: DisclosureRule) -> Shown:
    """One count on its own (no line): ``"≤k"`` when small, else rounded."""
    return rule.marker if rule.is_small(n) else rule.round(int(n))


def is_hidden_value(shown: object) -> bool:
    """True for a suppressed count (a marker string rather than a number)."""
    return isinstance(shown, str)


__all__ = ["Line", "is_hidden_value", "protect", "shown_count", "suppressed_cells"]
