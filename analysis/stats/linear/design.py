"""Model terms, the NumPy design matrix and the reference grid of LS means.

There is no emmeans in Python, so the reference grid is built here, following the
emmeans conventions:

* the reference grid is the focal factor's levels (and, for an interaction model, the
  modifier's levels or values) crossed with every level of every factor covariate;
  numeric covariates are held at their mean over the analysed rows;
* an LS mean is the weighted average of the grid's design rows for one focal level,
  times the coefficients: ``L @ beta``, with ``SE = sqrt(L V L')``;
* ``weights="proportional"`` weights each combination of factor-covariate levels by its
  observed frequency in the analysed rows (emmeans ``weights = "proportional"``);
  ``weights="equal"`` gives every grid cell the same weight (emmeans default, SAS
  LSMEANS).

Covariates enter the model as main effects only, so a design row is linear in each
covariate's dummy columns and the weighted average of the grid rows reduces to: each
factor covariate's dummy column replaced by the (weighted) share of its level, each
numeric covariate by its mean. :meth:`Design.grid_row` uses that closed form;
:func:`reference_grid` and :func:`grid_average` enumerate the grid explicitly (for
display and as a cross-check).

The design is built directly with NumPy (treatment coding, first level as reference):
no formula string is ever parsed, so no column name can become code.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

Weights = Literal["proportional", "equal"]
WEIGHTS: tuple[str, ...] = ("proportional", "equal")

#: Largest reference grid :func:`reference_grid` will enumerate.
MAX_GRID_ROWS = 200_000


@dataclass(frozen=True, eq=False)
class FactorTerm:
    """A factor on the analysed rows: integer codes into ``levels`` (first = reference)."""

    name: str
    levels: tuple[str, ...]
    codes: np.ndarray

    @property
    def k(self) -> int:
        return len(self.levels)

    def counts(self) -> np.ndarray:
        """Rows per level."""
        return np.bincount(self.codes, minlength=self.k)

    def dummies(self) -> np.ndarray:
        """Treatment-coded indicator columns (n x (k - 1)) for the non-reference levels."""
        return (self.codes[:, None] == np.arange(1, self.k)[None, :]).astype(float)

    def column_names(self) -> list[str]:
        return [f"{self.name}[{lev}]" for lev in self.levels[1:]]

    def level_shares(self, weights: str) -> np.ndarray:
        """Weight of each level in the grid average (sums to 1)."""
        if weights == "equal":
            return np.full(self.k, 1.0 / self.k)
        counts = self.counts().astype(float)
        return counts / counts.sum()

    def subset(self, mask: np.ndarray) -> FactorTerm:
        return FactorTerm(self.name, self.levels, self.codes[mask])


@dataclass(frozen=True, eq=False)
class NumericTerm:
    """A numeric variable on the analysed rows; enters the model linearly."""

    name: str
    values: np.ndarray

    @property
    def mean(self) -> float:
        return float(self.values.mean())

    def column_names(self) -> list[str]:
        return [self.name]

    def subset(self, mask: np.ndarray) -> NumericTerm:
        return NumericTerm(self.name, self.values[mask])


Term = FactorTerm | NumericTerm


def _onehot(index: int, k: int) -> np.ndarray:
    row = np.zeros(k - 1)
    if index > 0:
        row[index - 1] = 1.0
    return row


@dataclass(frozen=True, eq=False)
class Design:
    """``y ~ focal [* modifier] + covariates`` as a NumPy design.

    Column order: intercept, focal dummies, modifier (dummies or value), focal x
    modifier products (focal-major), covariates in the given order.
    """

    focal: FactorTerm
    covariates: tuple[Term, ...] = ()
    modifier: Term | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    # --- columns ---------------------------------------------------------------------
    def _interaction_names(self) -> list[str]:
        if self.modifier is None:
            return []
        return [f"{f}:{m}" for f in self.focal.column_names()
                for m in self.modifier.column_names()]

    def column_names(self) -> list[str]:
        names = ["Intercept", *self.focal.column_names()]
        if self.modifier is not None:
            names += self.modifier.column_names()
        names += self._interaction_names()
        for term in self.covariates:
            names += term.column_names()
        return names

    def interaction_columns(self) -> list[int]:
        """Positions of the focal x modifier product columns."""
        start = 1 + (self.focal.k - 1)
        if self.modifier is None:
            return []
        n_mod = len(self.modifier.column_names())
        start += n_mod
        return list(range(start, start + (self.focal.k - 1) * n_mod))

    def focal_columns(self) -> list[int]:
        return list(range(1, self.focal.k))

    @property
    def n(self) -> int:
        return len(self.focal.codes)

    def matrix(self) -> np.ndarray:
        """The n x p design matrix."""
        if "X" in self._cache:
            return self._cache["X"]
        # column-major: columns are written one at a time and LAPACK factorises columns
        X = np.empty((self.n, len(self.column_names())), order="F")
        X[:, 0] = 1.0
        col = _fill(X, 1, self.focal)
        if self.modifier is not None:
            first_mod = col
            col = _fill(X, col, self.modifier)
            for i in range(1, self.focal.k):
                for j in range(first_mod, col):
                    np.multiply(X[:, i], X[:, j], out=X[:, col])
                    col += 1
        for term in self.covariates:
            col = _fill(X, col, term)
        self._cache["X"] = X
        return X

    # --- reference grid (closed form) ---------------------------------------------------
    def covariate_average(self, weights: str) -> np.ndarray:
        """Grid-averaged covariate part of a design row (see module docstring)."""
        key = ("covariate_average", weights)
        if key not in self._cache:  # the same for every grid row of this design
            self._cache[key] = self._covariate_average(weights)
        return self._cache[key]

    def _covariate_average(self, weights: str) -> np.ndarray:
        parts: list[np.ndarray] = []
        for term in self.covariates:
            if isinstance(term, FactorTerm):
                parts.append(term.level_shares(weights)[1:])
            else:
                parts.append(np.array([term.mean]))
        return np.concatenate(parts) if parts else np.zeros(0)

    def grid_row(self, focal_level: int, modifier: int | float | None = None, *,
                 weights: str = "proportional") -> np.ndarray:
        """Averaged design row for one focal level (and modifier level index or value).

        With no ``modifier`` given in a model that has one, a factor modifier is
        averaged over its levels with the same weighting and a numeric one is held at
        its mean.
        """
        f = _onehot(focal_level, self.focal.k)
        parts = [np.ones(1), f]
        if self.modifier is not None:
            if isinstance(self.modifier, FactorTerm):
                if modifier is None:
                    m = self.modifier.level_shares(weights)[1:]
                else:
                    m = _onehot(int(modifier), self.modifier.k)
            else:
                m = np.array([self.modifier.mean if modifier is None else float(modifier)])
            parts += [m, np.outer(f, m).ravel()]
        parts.append(self.covariate_average(weights))
        return np.concatenate(parts)

    def lsmeans_matrix(self, weights: str = "proportional") -> np.ndarray:
        """One row of ``L`` per focal level (LS mean = ``L @ beta``)."""
        return np.vstack([self.grid_row(i, weights=weights) for i in range(self.focal.k)])


def _fill(X: np.ndarray, start: int, term: Term) -> int:
    """Write ``term``'s columns into ``X`` from column ``start``; return the next column."""
    if isinstance(term, FactorTerm):
        for level in range(1, term.k):
            np.equal(term.codes, level, out=X[:, start], casting="unsafe")
            start += 1
        return start
    X[:, start] = term.values
    return start + 1


def term_matrix(term: Term) -> np.ndarray:
    if isinstance(term, FactorTerm):
        return term.dummies()
    return term.values[:, None].astype(float)


# --- explicit grid (display and cross-check) -------------------------------------------
def reference_grid(design: Design, weights: str = "proportional") -> pd.DataFrame:
    """The reference grid itself: one row per focal level x factor-covariate combination.

    Numeric covariates are held at their mean. Column ``weight`` holds the weight of the
    row within its focal level: observed frequency of the covariate combination
    (``"proportional"``) or ``1 / number of combinations`` (``"equal"``). Weights within
    a focal level sum to 1.
    """
    factors = [t for t in design.covariates if isinstance(t, FactorTerm)]
    size = design.focal.k * int(np.prod([t.k for t in factors] or [1]))
    if size > MAX_GRID_ROWS:
        raise ValueError(f"The reference grid would have {size} rows; use Design.grid_row.")
    combos = list(itertools.product(*[range(t.k) for t in factors]))
    if weights == "equal":
        w = np.full(len(combos), 1.0 / len(combos))
    else:
        if factors:
            codes = np.column_stack([t.codes for t in factors])
            observed = Counter(map(tuple, codes.tolist()))
            w = np.array([observed.get(tuple(c), 0) for c in combos], dtype=float)
        else:
            w = np.ones(1)
        w = w / w.sum()
    rows = []
    for g in range(design.focal.k):
        for combo, weight in zip(combos, w, strict=True):
            row = {design.focal.name: design.focal.levels[g]}
            fi = iter(combo)
            for t in design.covariates:
                row[t.name] = t.levels[next(fi)] if isinstance(t, FactorTerm) else t.mean
            row["weight"] = weight
            rows.append(row)
    return pd.DataFrame(rows)


def grid_average(design: Design, grid: pd.DataFrame) -> np.ndarray:
    """Weighted average of the grid's design rows per focal level (the ``L`` matrix)."""
    out = []
    for g, level in enumerate(design.focal.levels):
        part = grid[grid[design.focal.name] == level]
        rows = []
        for _, r in part.iterrows():
            row = [np.ones(1), _onehot(g, design.focal.k)]
            for t in design.covariates:
                if isinstance(t, FactorTerm):
                    row.append(_onehot(t.levels.index(r[t.name]), t.k))
                else:
                    row.append(np.array([r[t.name]]))
            rows.append(np.concatenate(row))
        out.append(np.average(np.vstack(rows), axis=0, weights=part["weight"].to_numpy()))
    return np.vstack(out)
