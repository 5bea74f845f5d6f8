"""R factors of row subsets (subgroup levels) from one pass over the analysed rows.

A subgroup analysis fits the same design on each level of several variables. Instead
of a QR pass over the rows of every level, the rows are whitened once with the R
factor of all of them, ``W = [X | y] R^-1`` (orthonormal columns), and the
cross-products ``W_c'W_c`` are summed per cell of the cross-classification of the
subgroup variables. The rows of a level are a union of cells, so their cross-product
is a sum of cell sums. For the columns ``s`` a model needs (the subgroup variable's own
columns, constant within a level, left out), ``R[:, s] = Q R_s`` (QR of a small matrix)
gives ``Z_l[:, s] = (W_l Q) R_s`` and so the R factor ``chol(Q'W_l'W_l Q)' R_s``. The
whitened cross-products are well conditioned, so this Cholesky QR is as accurate as a
QR of the level's rows (unlike normal equations on ``X`` itself); a level whose
whitened cross-products are ill-conditioned (:data:`MAX_COND`) is left to a direct fit.
statsmodels then fits each level from its R factor (:func:`analysis.stats.linear.fit.ols`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.linalg import solve_triangular

#: Largest condition number of a level's whitened cross-products fitted from the cell
#: sums; the error of the R factor grows with it (about 1e-16 times it).
MAX_COND = 1e6


#: Rows whitened and summed at a time.
CHUNK_ROWS = 32768


def _cell_keys(codes: Sequence[np.ndarray], n: int) -> np.ndarray:
    """One integer per row naming its combination of codes (mixed radix)."""
    key, size = np.zeros(n, dtype=np.int64), 1
    for c in codes:  # missing (-1) becomes digit 0
        radix = int(c.max(initial=-1)) + 2
        if size * radix > 2 ** 62:  # renumber the cells so far before it overflows
            key = np.unique(key, return_inverse=True)[1].astype(np.int64)
            size = int(key.max(initial=0)) + 1
        key, size = key * radix + (c + 1), size * radix
    return key


class SubsetFactors:
    """Cell sums of the whitened rows, for the R factors of subsets of levels.

    Parameters
    ----------
    X, y : ndarray
        Design and outcome of all analysed rows.
    r_aug : ndarray
        R factor of ``[X | y]`` (full rank).
    codes : sequence of ndarray
        One integer code array per subgroup variable over the same rows; ``-1`` for a
        missing value.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, r_aug: np.ndarray,
                 codes: Sequence[np.ndarray]):
        q = r_aug.shape[0]
        self.r_aug = r_aug
        key = _cell_keys(codes, len(y))
        # rows of a cell side by side; NumPy's stable sort of 16-bit keys is a radix sort
        small = key.max(initial=0) < 2 ** 16
        order = np.argsort(key.astype(np.uint16) if small else key, kind="stable")
        new_cell = np.r_[True, key[order[1:]] != key[order[:-1]]]
        starts = np.flatnonzero(new_cell)
        self.counts = np.diff(np.r_[starts, len(y)])
        first = order[starts]  # one row of each cell: its codes
        self.cell_codes = [c[first] for c in codes]
        cell_sorted = np.cumsum(new_cell) - 1  # cell number of each row in sorted order
        self.gram = np.zeros((len(starts), q, q))
        inv = solve_triangular(r_aug, np.eye(q))  # R^-1, upper triangular
        for start in range(0, len(y), CHUNK_ROWS):  # whitened a chunk at a time
            rows = order[start:start + CHUNK_ROWS]
            W = X[rows] @ inv[:-1] + y[rows, None] * inv[-1]
            ids = cell_sorted[start:start + CHUNK_ROWS]
            bounds = np.r_[0, np.flatnonzero(np.diff(ids)) + 1, len(ids)]
            for a, b in zip(bounds[:-1], bounds[1:], strict=True):
                self.gram[ids[a]] += W[a:b].T @ W[a:b]
        self._bases: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = {}

    def _basis(self, columns: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        if columns not in self._bases:
            self._bases[columns] = np.linalg.qr(self.r_aug[:, list(columns)])
        return self._bases[columns]

    def level_factor(self, variable: int, level: int, columns: Sequence[int],
                     max_cond: float = MAX_COND) -> tuple[np.ndarray, int, bool] | None:
        """(``M``, n, well conditioned) for the rows with that level; None if it has none.

        ``M'M`` equals the cross-products of ``[X | y][:, columns]`` over those rows
        (``columns`` index ``[X | y]``, the outcome last); ``M`` is triangular (an R
        factor) when the columns are well conditioned on those rows (condition of the
        whitened cross-products at most ``max_cond``), else a symmetric square root,
        which still serves as that level's part of a larger model but not as a model
        of its own (a constant, empty or aliased column: the caller fits those rows
        directly).
        """
        cells = self.cell_codes[variable] == level
        n = int(self.counts[cells].sum())
        if n == 0:
            return None
        # Q R_s = R[:, columns]: Z_l[:, columns] = (W_l Q) R_s with W Q orthonormal
        Q, r_s = self._basis(tuple(columns))
        H = Q.T @ self.gram[cells].sum(axis=0) @ Q
        d, V = np.linalg.eigh((H + H.T) / 2.0)
        if d[0] > d[-1] / max_cond:
            return np.linalg.cholesky(H).T @ r_s, n, True
        return np.sqrt(np.clip(d, 0.0, None))[:, None] * (V.T @ r_s), n, False
