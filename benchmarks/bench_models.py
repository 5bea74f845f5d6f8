"""Speed of the adjusted model: ``ancova()`` against a bare statsmodels OLS fit.

The bare fit is ``sm.OLS(y, X).fit()`` of the same model on the same rows (design
matrix prepared beforehand, not timed). ``ancova()`` is timed end to end from the
DataFrame (name checks, missing-value handling, design, fit, LS means, contrast,
coefficient table), with and without its diagnostics.

Run: ``python -m benchmarks.bench_models`` (prints a table; ``run()`` returns it).
Times are the best of several calls; ``OMP_NUM_THREADS=1`` makes the BLAS part
comparable on a busy machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import statsmodels.api as sm

from analysis.derive import add_derived
from analysis.models import ancova, column, prepare, resolve_covariates


def synthetic_cohort(n: int, seed: int = 20120501) -> pd.DataFrame:
    """A frame with the model's dictionary columns and validated dtypes."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["none", "spotty", "other"], n, p=[0.3, 0.6, 0.1])
    frame = pd.DataFrame({
        "calcification": pd.Categorical(group, categories=["none", "spotty", "other"]),
        "trial": pd.Categorical(rng.choice(list("ABCDEF"), n)),
        "age": rng.normal(55, 10, n),
        "sex": pd.Categorical(rng.choice(["female", "male"], n), categories=["female", "male"]),
        "diabetes": pd.array(rng.random(n) < 0.3, dtype="boolean"),
        "prior_mi": pd.array(rng.random(n) < 0.25, dtype="boolean"),
        "hdl_c": rng.normal(50, 15, n),
        "pav_baseline": rng.normal(33, 8, n),
    })
    frame["pav_followup"] = (frame["pav_baseline"] + 0.4 * (group == "spotty")
                             + rng.normal(0, 2.2, n))
    return add_derived(frame)


def _best(fn: Callable[[], object], repeat: int) -> float:
    """Best (smallest) wall time of ``repeat`` calls, in seconds.

    The minimum is the least disturbed by other processes on a shared machine.
    """
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.min(times))


def run(sizes: tuple[int, ...] = (1347, 100_000), repeat: int = 15) -> pd.DataFrame:
    """Time ancova() and the bare OLS fit; one row per frame size."""
    rows = []
    for n in sizes:
        frame = synthetic_cohort(n)
        names, _ = resolve_covariates(frame, "delta_pav", None)
        md = prepare(column(frame, "delta_pav"), column(frame, "calcification"),
                     [column(frame, c) for c in names])
        X, y = md.design().matrix(), md.y
        reps = repeat if n < 50_000 else max(3, repeat // 3)
        bare = _best(lambda X=X, y=y: sm.OLS(y, X).fit(), reps)
        fast = _best(lambda f=frame: ancova(f, "delta_pav", diagnostics=False), reps)
        full = _best(lambda f=frame: ancova(f, "delta_pav"), reps)
        rows.append({"n": n, "n_used": md.n, "bare_ols_ms": bare * 1e3,
                     "ancova_ms": fast * 1e3, "ratio": fast / bare,
                     "ancova_with_diagnostics_ms": full * 1e3, "ratio_with_diagnostics": full / bare})
    return pd.DataFrame(rows)


def main() -> str:
    """Print the table; return it as a markdown section (for benchmarks.run_all)."""
    table = run()
    with pd.option_context("display.width", 160, "display.precision", 3):
        print(table)
    head = "| " + " | ".join(table.columns) + " |"
    rule = "| " + " | ".join("---" for _ in table.columns) + " |"
    body = ["| " + " | ".join(f"{v:.2f}" if isinstance(v, float) else str(v) for v in row)
            + " |" for row in table.itertuples(index=False)]
    return "\n".join([
        "ancova() (delta_pav, default covariates, proportional weights) against a bare "
        "`sm.OLS(y, X).fit()` of the same model on the same rows; best of several calls.",
        "", head, rule, *body])


if __name__ == "__main__":
    main()
