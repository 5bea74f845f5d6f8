"""Words of the linear-model results: the model formula, the weighting, the test names.

Shared by every model module (it imports nothing from them).
"""

from __future__ import annotations

from collections.abc import Sequence

CONTRAST_TEST = "t-test of LS-mean difference (ANCOVA)"
#: With no covariates the contrast is the two-sample t-test with pooled variance.
UNADJUSTED_TEST = "Student t-test (pooled variance)"
COEF_TEST = "t-test of OLS coefficient"


def formula_text(dv: str, focal: str, covariates: Sequence[str],
                 modifier: str | None = None) -> str:
    """``dv ~ focal [* modifier] + covariates`` in dictionary names (description only)."""
    rhs = [focal if modifier is None else f"{focal} * {modifier}", *covariates]
    return f"{dv} ~ {' + '.join(rhs)}"


def weighting_text(weights: str) -> str:
    """The LS-means weighting in words."""
    if weights == "equal":
        return "LS means with equal weights over factor levels"
    return "LS means with proportional weights over factor levels"
