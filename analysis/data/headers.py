"""Header rows: where the header is, duplicate names, and how well a row looks like one.

Shared by the text and Excel readers. A row "looks like the header" when many of its
cells are names the loader expects (dictionary names, or file columns named in the
mapping); the expected names are passed in by the loader, so this module knows
nothing of the mapping.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from analysis.data.report import Issue

#: How many leading rows are searched for the header.
HEADER_SEARCH_ROWS = 30


def _norm(cell: object) -> str:
    return "" if cell is None else str(cell).strip().lower()


def header_score(cells: Sequence[object], expected: frozenset[str]) -> int:
    """How many distinct cells of ``cells`` are expected column names (any case)."""
    return len({_norm(c) for c in cells} & expected)


@dataclass(frozen=True)
class HeaderGuess:
    """The row (1-based line / sheet row) that looks most like the header, and its score."""

    row: int
    score: int
    first_row_score: int


def guess_header(rows: Iterable[Sequence[object]], expected: frozenset[str]) -> HeaderGuess | None:
    """The best header candidate among the first :data:`HEADER_SEARCH_ROWS` rows.

    Returns ``None`` when nothing is expected or no row matches an expected name.
    """
    if not expected:
        return None
    best_row, best, first = 0, 0, 0
    for i, cells in enumerate(rows):
        if i >= HEADER_SEARCH_ROWS:
            break
        score = header_score(cells, expected)
        if i == 0:
            first = score
        if score > best:
            best_row, best = i + 1, score
    if best == 0:
        return None
    return HeaderGuess(best_row, best, first)


def header_issue(guess: HeaderGuess | None, header_row: int, where: str) -> list[Issue]:
    """A warning when another row looks clearly more like the header than ``header_row``."""
    if guess is None or guess.row == header_row:
        return []
    used = guess.first_row_score if header_row == 1 else 0
    if guess.score < 2 or guess.score < 2 * max(used, 1):
        return []
    return [Issue("warning", "header_row", None,
                  f"the header of {where} seems to be on row {guess.row} (it holds "
                  f"{guess.score} expected column names; row {header_row} holds {used}); "
                  f"set `header_row = {guess.row}` in the mapping.")]


def dedupe_names(names: Sequence[object], where: str) -> tuple[list[str], list[Issue]]:
    """Column names as text, duplicates made unique (``age (2)``), one error per duplicate.

    The renamed duplicates only let the other checks run: the errors stop the load.
    """
    out: list[str] = []
    seen: dict[str, int] = {}
    issues: list[Issue] = []
    text = [("" if n is None else str(n)).strip() for n in names]
    for i, name in enumerate(text):
        if not name:
            name = f"(empty header {i + 1})"
        count = seen.get(name, 0) + 1
        seen[name] = count
        out.append(name if count == 1 else f"{name} ({count})")
    for name, count in seen.items():
        if count > 1 and not name.startswith("(empty header"):
            cols = [str(i + 1) for i, n in enumerate(text) if n == name]
            issues.append(Issue(
                "error", "duplicate_column", name,
                f"column '{name}' appears more than once in the header of {where} ({count} times: "
                f"columns {', '.join(cols)}); rename or remove the extra ones so each name is used "
                "once.", (), count))
    return out, issues
