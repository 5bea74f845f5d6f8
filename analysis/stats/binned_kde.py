"""Gaussian kernel density on an even grid by linear binning and one convolution.

The exact estimate ``f(x) = (1/n) sum_i phi((x - x_i) / h) / h`` costs ``n x points``
kernel evaluations (200 million for a million patients and 200 points). Binned, it
costs one pass over the data and a convolution on a fine grid (Wand & Jones,
*Kernel Smoothing*, 1995, section D.2; Silverman, *Applied Statistics* 31:93-99, 1982):

1. the fine grid refines the output grid ``r`` times, so that its spacing
   ``delta <= h / BIN_FRACTION``; every output point is a fine-grid point;
2. linear binning: each value gives weight ``1 - t`` to the fine-grid point below it
   and ``t`` to the one above (``t`` = its fractional position between them);
3. the binned counts are convolved (FFT) with the kernel sampled on the fine grid,
   cut at ``TRUNCATE`` bandwidths.

Error bound. Step 2 replaces, for every value, the kernel ``y -> K_h(x - y)`` by its
linear interpolant between two fine-grid points; that error is at most
``delta**2 / 8 * max|K_h''| = delta**2 / (8 * sqrt(2 * pi) * h**3)`` (``max|phi''| =
phi(0)``), and an average of such terms keeps the bound. Step 3 is exact up to the
cut, which drops at most ``phi(TRUNCATE) / h`` (about ``1e-22 / h``) and float
rounding of the FFT (relative ``1e-13`` of the peak). So, at every output point::

    |binned - exact| <= delta**2 / (8 * sqrt(2 * pi) * h**3) + phi(TRUNCATE) / h
                     <= 2.0e-5 / h      (delta <= h / 50)

which is ``5e-5`` of the height ``phi(0) / h`` of a single kernel. Negative FFT
round-off is clipped to 0. When the fine grid would need more than ``MAX_BINS``
points (data spread over more than ``MAX_BINS / BIN_FRACTION`` bandwidths)
:func:`binned_density` returns None and the caller evaluates exactly.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import signal

#: Fine-grid spacing is at most the bandwidth divided by this.
BIN_FRACTION = 50
#: The sampled kernel is cut this many bandwidths from its centre.
TRUNCATE = 10.0
#: Largest fine grid used; beyond it the caller falls back to the exact sum.
MAX_BINS = 2 ** 20


def error_bound(h: float, delta: float) -> float:
    """Largest absolute difference from the exact estimate (module docstring)."""
    phi_cut = math.exp(-TRUNCATE ** 2 / 2) / math.sqrt(2 * math.pi)
    return delta ** 2 / (8 * math.sqrt(2 * math.pi) * h ** 3) + phi_cut / h


def fine_spacing(grid: np.ndarray, h: float) -> tuple[int, float]:
    """(refinement ``r``, fine spacing ``delta``) for an even output ``grid``."""
    step = (grid[-1] - grid[0]) / (len(grid) - 1)
    r = max(1, math.ceil(step * BIN_FRACTION / h))
    return r, step / r


def binned_density(x: np.ndarray, h: float, grid: np.ndarray) -> np.ndarray | None:
    """Gaussian KDE of ``x`` (bandwidth ``h``) at the even ``grid`` points.

    ``grid`` must be increasing, evenly spaced and cover every value of ``x``.
    Returns None when the fine grid would exceed :data:`MAX_BINS` points.
    """
    r, delta = fine_spacing(grid, h)
    m = (len(grid) - 1) * r + 1
    if m > MAX_BINS:
        return None
    pos = (x - grid[0]) / delta
    below = np.clip(np.floor(pos).astype(np.int64), 0, m - 2)
    frac = pos - below
    counts = (np.bincount(below, weights=1.0 - frac, minlength=m)
              + np.bincount(below + 1, weights=frac, minlength=m))
    half = min(m - 1, math.ceil(TRUNCATE * h / delta))
    offsets = np.arange(-half, half + 1) * (delta / h)
    kernel = np.exp(-0.5 * offsets ** 2) / (math.sqrt(2 * math.pi) * h)
    fine = signal.fftconvolve(counts, kernel)[half:half + m] / len(x)
    return np.maximum(fine[::r], 0.0)
