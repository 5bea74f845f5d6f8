"""How numbers read, everywhere: p-values, estimates, counts and exact cut-points.

One formatter per kind of number, used by the pages, the tables, the figures and the
exports, so a p-value below 0.001 reads ``"< 0.001"`` on every screen and in every file.
"""

from __future__ import annotations

import math
from decimal import Decimal

P_FLOOR = 0.001


def _finite(x: object) -> float | None:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def format_p(p: object, *, prefix: bool = False) -> str:
    """A p-value: ``"< 0.001"`` below 0.001, else three decimals; ``""`` when missing.

    Parameters
    ----------
    p : float or None
        The p-value (NaN, None or a non-number give ``""``).
    prefix : bool
        Prepend ``"p "`` / ``"p = "``: ``"p < 0.001"``, ``"p = 0.012"``.
    """
    v = _finite(p)
    if v is None:
        return ""
    if v < P_FLOOR:
        return "p < 0.001" if prefix else "< 0.001"
    text = f"{min(v, 1.0):.3f}"
    return f"p = {text}" if prefix else text


def format_num(x: object, digits: int = 2) -> str:
    """A number with ``digits`` decimals and thousands separators; ``""`` when missing."""
    v = _finite(x)
    return "" if v is None else f"{v:,.{digits}f}"


def format_signed(x: object, digits: int = 2) -> str:
    """A change with its sign: ``"+0.43"``, ``"-0.12"``; ``""`` when missing."""
    v = _finite(x)
    return "" if v is None else f"{v:+.{digits}f}"


def format_count(n: object) -> str:
    """A count: ``"1,234"``; a suppressed count (a marker such as ``"≤7"`` or
    ``"redacted"``, :mod:`analysis.disclosure`) as it is; ``""`` when missing."""
    if isinstance(n, str):
        return n
    v = _finite(n)
    return "" if v is None else f"{int(round(v)):,}"


def format_ci(low: object, high: object, digits: int = 2) -> str:
    """``"95% CI 0.29 to 0.57"`` (the level is always 95% on screen)."""
    return f"95% CI {format_num(low, digits)} to {format_num(high, digits)}"


def format_exact(x: float) -> str:
    """Shortest exact decimal text of ``x``, no exponent: ``70``, ``1.5``, ``0.0001``."""
    text = format(Decimal(repr(float(x))), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


__all__ = ["P_FLOOR", "format_ci", "format_count", "format_exact", "format_num", "format_p", "format_signed",
           "source_name"]


def source_name(path: str | None) -> str:
    """The file name of a source path, never the server's folders: what users see."""
    return str(path or "").replace("\\", "/").rsplit("/", 1)[-1]
