"""Closed-form population parameters: log-normal laws with a given mean and SD.

The simulated cohort's published variables are drawn from laws whose *population* mean
and SD are the published ones; these helpers solve the law's parameters from them, so
no sample is ever rescaled to its targets.
"""

from __future__ import annotations

import numpy as np

from analysis.errors import ExplorerError


class SimulationError(ExplorerError):
    """The simulation was asked for something it cannot produce."""


def lognormal_params(mean: float, sd: float) -> tuple[float, float]:
    """``(mu, sigma)`` of the log-normal law with this mean and SD.

    Parameters
    ----------
    mean, sd : float
        Population mean (> 0) and standard deviation (> 0) on the original scale.

    Returns
    -------
    tuple of float
        ``mu`` and ``sigma`` of ``log X ~ N(mu, sigma**2)``:
        ``sigma**2 = log(1 + sd**2 / mean**2)``, ``mu = log(mean) - sigma**2 / 2``.

    Examples
    --------
    >>> mu, s = lognormal_params(36.0, 7.6)
    >>> round(float(np.exp(mu + s**2 / 2)), 6)
    36.0
    """
    if not (mean > 0 and sd > 0):
        raise SimulationError(f"A log-normal law needs a positive mean and SD; got {mean}, {sd}.")
    s2 = np.log1p((sd / mean) ** 2)
    return float(np.log(mean) - s2 / 2.0), float(np.sqrt(s2))


def shifted_lognormal_params(mean: float, sd: float, shifts: list[tuple[float, float]]
                             ) -> tuple[float, float]:
    """``(mu, sigma)`` so that ``exp(mu + sum_j b_j B_j + sigma Z)`` has this mean and SD.

    The ``B_j`` are independent Bernoulli(``p_j``) indicators that shift the log value by
    ``b_j`` (e.g. HDL-C ~15% higher in women), ``Z`` is standard normal. With
    ``A_k = prod_j (1 - p_j + p_j exp(k b_j))`` (the moment generating function of the
    shifts), ``E X = exp(mu + sigma**2 / 2) A_1`` and ``E X**2 = exp(2 mu + 2 sigma**2) A_2``,
    which solve to ``sigma**2 = log((1 + cv**2) A_1**2 / A_2)``.

    Parameters
    ----------
    mean, sd : float
        Target population mean and SD.
    shifts : list of (p, b)
        Probability and log shift of each indicator.

    Returns
    -------
    tuple of float
        ``mu`` and ``sigma``.

    Raises
    ------
    SimulationError
        If the shifts alone already spread the values more than ``sd`` allows.
    """
    a1 = float(np.prod([1.0 - p + p * np.exp(b) for p, b in shifts]))
    a2 = float(np.prod([1.0 - p + p * np.exp(2.0 * b) for p, b in shifts]))
    s2 = np.log((1.0 + (sd / mean) ** 2) * a1 ** 2 / a2)
    if not s2 > 0:
        raise SimulationError(f"The log shifts {shifts} spread the values more than an SD of "
                              f"{sd} around {mean} allows; make them smaller.")
    return float(np.log(mean / a1) - s2 / 2.0), float(np.sqrt(s2))
