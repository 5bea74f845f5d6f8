"""What a figure says about itself: n, filters, method and the simulated-data label.

The footnote is not drawn inside the figure (it would eat the plotting area): pages show
it as a caption under the figure (:func:`components.figures.blocks.caption`), exports draw
it as a band below the image from :meth:`Footnote.lines` or :meth:`Footnote.text`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from analysis.display import format_count


@dataclass(frozen=True)
class Footnote:
    """n, filters, method and simulated label of one figure.

    Attributes
    ----------
    n : int or None
        Patients the figure is computed on.
    filters : sequence of str
        The filters in words (empty: no filters).
    method : str
        How the numbers were computed.
    simulated_label : str
        The simulated-data label (empty for a user's own data).
    disclosure : str
        The disclosure-control line ("Counts ≤ 7 suppressed, rounded to base 5."; empty
        when it is off). ``n`` is then the count as shown (rounded, or ``"≤7"``).
    """

    n: int | str | None = None
    filters: Sequence[str] = field(default_factory=tuple)
    method: str = ""
    simulated_label: str = ""
    disclosure: str = ""

    @classmethod
    def of(cls, computed, n: int | str | None = None, method: str = "") -> Footnote:
        """The footnote of a figure of ``computed`` (an analysis result): n, the filters,
        the method, and the simulated-data and disclosure-control lines of the selection
        it ran on. Pages and the kit both caption their figures with it."""
        sel = computed.selection
        filters = tuple(sel.filters) if sel is not None and not sel.spec.is_empty else ()
        return cls(n=n, filters=filters, method=method,
                   simulated_label=sel.data_label if sel is not None else "",
                   disclosure=sel.disclosure if sel is not None else "")

    def selection_line(self) -> str:
        """``"n = 1,347 · Filters: Sex: male"`` (``Filters: none`` without filters)."""
        parts = [f"n = {format_count(self.n)}"] if self.n is not None else []
        parts.append("Filters: " + ("; ".join(self.filters) if self.filters else "none"))
        return " · ".join(parts)

    def lines(self) -> list[str]:
        """The footnote as plain-text lines: selection, method, disclosure control,
        simulated label.

        Empty parts are left out; nothing is wrapped (the caller wraps to its width).
        """
        return [x for x in (self.selection_line(), self.method, self.disclosure,
                            self.simulated_label) if x]

    def text(self, width: int = 72) -> str:
        """The footnote as plotly text: lines wrapped at ``width`` characters, joined with
        ``<br>``, the simulated label in bold."""
        lines = wrap(self.selection_line(), width)
        if self.method:
            lines += wrap(self.method, width)
        if self.disclosure:
            lines += wrap(self.disclosure, width)
        if self.simulated_label:
            lines += [f"<b>{line}</b>" for line in wrap(self.simulated_label, width)]
        return "<br>".join(lines)


def wrap(text: str, width: int) -> list[str]:
    """``text`` broken at spaces into lines of at most ``width`` characters (a longer
    word keeps a line of its own)."""
    words, lines, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    if cur:
        lines.append(cur)
    return lines
