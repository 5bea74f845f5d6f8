"""The disclosure rule in force: the threshold k and the rounding base.

OpenSAFELY-style output checking (see the README, "Disclosure control"): every count
from 1 to k is shown as ``"≤k"``, enough other cells are suppressed that none of them can
be recovered from a total, the remaining counts are rounded to the base, and summaries of
at most k values are withheld.

Zero is *not* suppressed: a count of 0 says that nobody has a characteristic, which
discloses nothing about an individual (OpenSAFELY treats 0 as safe too), and hiding it
would make structural zeros (an empty trial, a level nobody has) look like small cells.
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis import settings as settings_mod

#: A count as shown after disclosure control: a (rounded) whole number or a marker.
Shown = int | str
#: What a suppressed cell that is not itself small reads (secondary suppression).
REDACTED = "redacted"
#: What a withheld summary (mean, SD, median, IQR, LS mean, ...) reads.
WITHHELD = "—"


@dataclass(frozen=True)
class DisclosureRule:
    """Threshold ``k`` (0 = no suppression) and rounding ``base`` (1 = no rounding).

    Attributes
    ----------
    k : int
        Counts from 1 to ``k`` are suppressed; summaries of at most ``k`` values withheld.
    base : int
        Shown counts are rounded to the nearest multiple of ``base`` (halves up).
    """

    k: int = 0
    base: int = 1

    @property
    def active(self) -> bool:
        """Whether anything changes: suppression (k > 0) or rounding (base > 1)."""
        return self.k > 0 or self.base > 1

    @property
    def marker(self) -> str:
        """What a primary-suppressed count reads: ``"≤7"``."""
        return f"≤{self.k}"

    def is_small(self, count: int) -> bool:
        """True for a count from 1 to k (0 is safe, see the module docstring)."""
        return 0 < int(count) <= self.k

    def withholds(self, n: object) -> bool:
        """True when a summary of ``n`` values must be withheld (a count 1..k, or a
        count that is itself suppressed: a marker string)."""
        if isinstance(n, str):
            return True
        try:
            return self.is_small(int(n))  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return False

    def round(self, count: int) -> int:
        """``count`` to the nearest multiple of the base (halves up; 0 stays 0)."""
        count = int(count)
        if self.base <= 1:
            return count
        return self.base * ((2 * count + self.base) // (2 * self.base))

    def caption(self) -> str:
        """The line every caption and footnote carries while the rule is on ("" when off)."""
        if not self.active:
            return ""
        parts = []
        if self.k > 0:
            parts.append(f"Counts ≤ {self.k} suppressed")
        if self.base > 1:
            parts.append(f"rounded to base {self.base}" if parts
                         else f"Counts rounded to base {self.base}")
        text = ", ".join(parts)
        if self.k > 0:
            text += (f" ({REDACTED}: hidden so that a suppressed count cannot be recovered "
                     f"from a total; {WITHHELD}: withheld, n ≤ {self.k})")
        return text + "."

    def withheld_note(self) -> str:
        """The note beside a withheld summary: ``"withheld: n ≤ 7"``."""
        return f"withheld: n ≤ {self.k}"


def current() -> DisclosureRule:
    """The rule of the settings in force (``EXPLORER_SUPPRESS_K``, ``EXPLORER_ROUND_BASE``)."""
    cfg = settings_mod.current()
    return DisclosureRule(k=int(cfg.suppress_k), base=int(cfg.round_base))


__all__ = ["REDACTED", "WITHHELD", "DisclosureRule", "Shown", "current"]
