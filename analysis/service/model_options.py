"""The rules that turn a view's options into a model, stated once.

* **Means**: ``"adjusted"`` fits the chosen covariates; ``"raw"`` fits no covariates,
  so the "LS means" are the raw group means and the weighting does not apply.
* **Weights**: how the reference grid averages factor-covariate levels (emmeans
  conventions): ``"proportional"`` (observed frequencies, the default) or ``"equal"``.
* **Covariates**: ``None`` means the default set for the outcome
  (:func:`analysis.data.schema.default_covariates`); a picked set always starts with
  the outcome's baseline value.
* **Therapy modifiers**: each therapy-intensity flag and the measurement behind it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from analysis.data.schema import VARIABLES, outcomes
from analysis.errors import AnalysisError
from analysis.stats.linear.design import WEIGHTS

MEANS: tuple[str, ...] = ("adjusted", "raw")
DEFAULT_WEIGHTS = "proportional"
#: Therapy flag -> the continuous measurement behind it (cut-points in the filter spec).
THERAPY_MODIFIERS: dict[str, str] = {"ldl_intensive": "ldl_c", "sbp_intensive": "sbp"}


def check_outcome(outcome: object) -> str:
    """``outcome`` if it is an outcome of the dictionary."""
    names = [v.name for v in outcomes()]
    if outcome not in names:
        raise AnalysisError(f"unknown outcome {outcome!r}; choose one of {', '.join(names)}")
    return str(outcome)


def check_means(means: object) -> str:
    """``means`` if it is ``"adjusted"`` or ``"raw"``."""
    if means not in MEANS:
        raise AnalysisError(f"unknown means {means!r}; choose one of {', '.join(MEANS)}")
    return str(means)


def check_weights(weights: object) -> str:
    """``weights`` if it is a known LS-mean weighting."""
    if weights not in WEIGHTS:
        raise AnalysisError(f"unknown weighting {weights!r}; choose one of {', '.join(WEIGHTS)}")
    return str(weights)


def check_covariates(covariates: object) -> tuple[str, ...] | None:
    """Covariate names as a tuple (``None`` = the default set); each must be in the
    data dictionary (whether the data hold it is checked by the model)."""
    if covariates is None:
        return None
    if isinstance(covariates, str):
        covariates = (covariates,)
    if not isinstance(covariates, Iterable):
        raise AnalysisError(f"covariates must be a list of variable names, not {covariates!r}")
    names = tuple(covariates)
    unknown = [c for c in names if c not in VARIABLES]
    if unknown:
        raise AnalysisError(f"unknown covariate {unknown[0]!r}; use names of the data dictionary")
    return names


def check_modifier(modifier: object) -> str:
    """``modifier`` if it is a therapy-intensity flag."""
    if modifier not in THERAPY_MODIFIERS:
        raise AnalysisError(f"unknown therapy modifier {modifier!r}; choose one of "
                            f"{', '.join(THERAPY_MODIFIERS)}")
    return str(modifier)


def model_options(means: object, covariates: object,
                  weights: object) -> tuple[tuple[str, ...] | None, str]:
    """(covariates, weights) actually fitted for the Means option.

    Raw means fit no covariates, and with no factor covariates the weighting has no
    effect: it is reported as the default so that both spellings share one result.
    """
    if check_means(means) == "raw":
        check_weights(weights)
        return (), DEFAULT_WEIGHTS
    return check_covariates(covariates), check_weights(weights)


def picked_covariates(outcome: str, picked: Sequence[str],
                      allowed: Sequence[str]) -> tuple[str, ...]:
    """The outcome's baseline value followed by the picked covariates that are allowed."""
    baseline = VARIABLES[check_outcome(outcome)].baseline
    chosen = [v for v in picked if v in allowed and v != baseline]
    return ((baseline,) if baseline else ()) + tuple(chosen)


__all__ = ["DEFAULT_WEIGHTS", "MEANS", "THERAPY_MODIFIERS", "WEIGHTS", "check_covariates",
           "check_means", "check_modifier", "check_outcome", "check_weights", "model_options",
           "picked_covariates"]
