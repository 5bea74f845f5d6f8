"""Cached entry points of the sensitivity analyses (re-exported by :mod:`analysis.service.api`).

``sensitivity(fp, query, ...)`` (the main ANCOVA beside every sensitivity analysis of
spotty - none) and ``propensity(fp, query, ...)`` (the propensity-weighted comparison
with its balance table) take a dataset fingerprint and a filter query like every entry
of :mod:`analysis.service.api`, whose plumbing (selection, guard, cache) they use.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis import settings
from analysis.service import api, cache
from analysis.service.model_options import check_outcome, model_options
from analysis.service.results import Computed
from analysis.stats.sensitivity import PropensityResult
from analysis.stats.sensitivity import propensity_weighted as _propensity
from analysis.stats.sensitivity import sensitivity_table as _sensitivity_table


@api._guard("sensitivity")
def sensitivity(fingerprint: str, query: str, outcome: str = "delta_pav",
                covariates: Any = None, weights: str = "proportional",
                means: str = "adjusted") -> Computed[pd.DataFrame]:
    """The main ANCOVA and every sensitivity analysis of spotty - none, one row each.

    ``.value`` is the frame of :func:`analysis.stats.sensitivity.sensitivity_table`
    (``analysis, estimate, se, ci_low, ci_high, p, test, n, note, estimand``). The
    number of imputations, the imputation seed and the propensity-weight truncation are
    the settings in force (``EXPLORER_MI_IMPUTATIONS``, ``EXPLORER_MI_SEED``,
    ``EXPLORER_PS_TRIM``) and part of the cache key. Multiple imputation takes seconds:
    pages compute this on demand only.
    """
    covs, w = model_options(means, covariates, weights)
    cfg = settings.current()
    return _sensitivity_cached(fingerprint, query, check_outcome(outcome), covs, w,
                               int(cfg.mi_imputations), int(cfg.mi_seed), float(cfg.ps_trim))


@cache.memoize("api.sensitivity")
def _sensitivity_cached(fingerprint: str, query: str, outcome: str,
                        covariates: tuple[str, ...] | None, weights: str, imputations: int,
                        seed: int, trim: float) -> Computed[pd.DataFrame]:
    # sensitivity_table reads imputations, seed and trim from the same settings the
    # public entry just read for this key
    return api._compute("sensitivity", fingerprint, query,
                    {"outcome": outcome, "covariates": covariates, "weights": weights,
                     "imputations": imputations, "seed": seed, "trim": trim},
                    _sensitivity_table, outcome, covar=covariates, weights=weights)


@api._guard("propensity")
def propensity(fingerprint: str, query: str, outcome: str = "delta_pav",
               covariates: Any = None, weights: str = "proportional",
               means: str = "adjusted") -> Computed[PropensityResult]:
    """Propensity-score weighted comparison with its balance table (SMD before/after).

    :func:`analysis.stats.sensitivity.propensity_weighted`, weights truncated at
    ``EXPLORER_PS_TRIM`` percent. Raw means have no covariates to weight on, so
    ``.error`` says so.
    """
    covs, w = model_options(means, covariates, weights)
    return _propensity_cached(fingerprint, query, check_outcome(outcome), covs, w,
                              float(settings.current().ps_trim))


@cache.memoize("api.propensity")
def _propensity_cached(fingerprint: str, query: str, outcome: str,
                       covariates: tuple[str, ...] | None, weights: str,
                       trim: float) -> Computed[PropensityResult]:
    return api._compute("propensity", fingerprint, query,
                    {"outcome": outcome, "covariates": covariates, "weights": weights,
                     "trim": trim},
                    _propensity, outcome, covar=covariates, weights=weights, trim=trim)


__all__ = ["propensity", "sensitivity"]
