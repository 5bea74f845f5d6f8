"""Speed of the sensitivity analyses against the bare statsmodels computation of each.

Same model, same rows (default covariates of ``delta_pav``; simulated cohorts from
``analysis.cohort.simulate``). The bare computation starts from the prepared arrays
(design matrix, outcome, groups built beforehand, not timed):

* HC3: ``sm.OLS(y, X).fit(cov_type="HC3")`` and ``t_test`` of the contrast;
* random trial: one ``MixedLM(y, X, groups).fit(reml=True, method="powell")``;
* propensity: ``GLM`` binomial of the group on the covariates + ``WLS(...).fit("HC0")``;
* multiple imputation: the ``m`` analyses alone (``ancova`` on the complete frame, m
  times); and one chained-equation cycle, ours against statsmodels ``MICEData``;
* trend: ``sm.OLS(y, X).fit()`` and ``t_test`` of the contrast;
* table: the main ``ancova`` alone.

Each function is timed end to end from the DataFrame. Run:
``python -m benchmarks.bench_sensitivity`` (prints tables; ``main()`` returns markdown).
Times are the best of ``repeat`` calls.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.imputation.mice import MICEData
from statsmodels.regression.mixed_linear_model import MixedLM

from analysis.data.derive import add_derived
from analysis.stats.linear.ancova import ancova
from analysis.stats.sensitivity import (
    deposit_trend,
    multiple_imputation,
    propensity_weighted,
    random_trial,
    robust_hc3,
    sensitivity_table,
)
from analysis.stats.sensitivity.chained import impute_chain
from analysis.stats.sensitivity.common import design_and_contrast, model_data
from benchmarks.run_all import markdown_table

M = 20


def _best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.min(times))


def _cohort(n: int, missing: float = 0.0) -> pd.DataFrame:
    from analysis.cohort.simulate import simulate_cohort

    patients, _ = simulate_cohort(n)
    frame = add_derived(patients)
    if missing:
        rng = np.random.default_rng(1)
        for name in ("age", "hdl_c", "diabetes", "sex"):
            col = frame[name].copy()
            col[rng.random(len(frame)) < missing] = None
            frame[name] = col
    return frame


def _quiet(fn: Callable[[], object]) -> Callable[[], object]:
    def run() -> object:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn()
    return run


def _run_size(n: int, repeat: int) -> list[dict]:
    """The rows of :func:`run` for one cohort size."""
    frame = _cohort(n)
    md, _ = model_data(frame, "delta_pav", None, weights="proportional", alpha=0.05)
    X, c, cols, _ = design_and_contrast(md, "proportional")
    y = md.y
    trial = frame["trial"].astype("str").to_numpy()[md.rows]
    fe = [j for j, name in enumerate(cols) if not name.startswith("trial[")]
    treated = md.focal.codes.astype(float)

    def ps_bare() -> None:
        e = sm.GLM(treated, X[:, [0, *range(2, X.shape[1])]],
                   family=sm.families.Binomial()).fit().fittedvalues
        share = treated.mean()
        w = np.where(treated == 1, share / e, (1 - share) / (1 - e))
        sm.WLS(y, X, weights=w).fit(cov_type="HC0").t_test(c[None, :])

    pairs = {
        "robust_hc3": (lambda: robust_hc3(frame, "delta_pav"),
                       lambda: sm.OLS(y, X).fit(cov_type="HC3").t_test(c[None, :])),
        "random_trial": (_quiet(lambda: random_trial(frame, "delta_pav")),
                         _quiet(lambda: MixedLM(y, X[:, fe], groups=trial).fit(
                             reml=True, method="powell"))),
        "propensity_weighted": (lambda: propensity_weighted(frame, "delta_pav"), ps_bare),
        "deposit_trend": (lambda: deposit_trend(frame, "delta_pav"),
                          lambda: sm.OLS(y, X).fit().t_test(c[None, :])),
        "sensitivity_table": (lambda: sensitivity_table(frame, "delta_pav"),
                              lambda: ancova(frame, "delta_pav", diagnostics=False)),
    }
    rows = []
    for name, (ours, bare) in pairs.items():
        t_ours, t_bare = _best(ours, repeat), _best(bare, repeat)
        rows.append({"n": n, "analysis": name, "ours_ms": t_ours * 1e3,
                     "bare_ms": t_bare * 1e3, "ratio": t_ours / t_bare})
    gappy = _cohort(n, missing=0.1)
    t_mi = _best(lambda: multiple_imputation(gappy, "delta_pav", m=M), 1)
    t_fits = _best(lambda: [ancova(frame, "delta_pav", diagnostics=False) for _ in range(M)], 1)
    rows.append({"n": n, "analysis": f"multiple_imputation (m={M}, 10% missing x 4)",
                 "ours_ms": t_mi * 1e3, "bare_ms": t_fits * 1e3, "ratio": t_mi / t_fits})
    return rows


def run(sizes: tuple[int, ...] = (1347, 20_000), repeat: int = 3) -> pd.DataFrame:
    """One row per analysis and size: our time, the bare time, their ratio."""
    return pd.DataFrame([row for n in sizes for row in _run_size(n, repeat)])


def run_chained(n: int = 1347) -> pd.DataFrame:
    """One chained-equation cycle over 4 incomplete columns: ours against MICEData."""
    rng = np.random.default_rng(2)
    data = rng.normal(size=(n, 8))
    for j in range(4):
        data[rng.random(n) < 0.1, j] = np.nan
    frame = pd.DataFrame(data, columns=pd.Index([f"x{j}" for j in range(8)], dtype=object))
    mice = MICEData(frame, rng=np.random.default_rng(3))
    t_mice = _best(_quiet(lambda: mice.update_all(1)), 3)
    t_ours = _best(lambda: impute_chain(data, 1, np.random.default_rng(3)), 3)
    return pd.DataFrame([{"n": n, "chained_ms": t_ours * 1e3, "MICEData_ms": t_mice * 1e3,
                          "ratio": t_ours / t_mice}])


def _markdown(frame: pd.DataFrame) -> list[str]:
    return markdown_table(frame, digits=2).splitlines()


def main() -> str:
    """Print the tables; return them as a markdown section (for benchmarks.run_all)."""
    table, chained = run(), run_chained()
    with pd.option_context("display.width", 200, "display.max_columns", 20,
                           "display.precision", 3):
        print(table)
        print(chained)
    return "\n".join([
        "Sensitivity analyses (delta_pav, default covariates) end to end from the frame, "
        "against the bare statsmodels computation on prepared arrays; best of 3.", "",
        *_markdown(table), "", "One chained-equation cycle (4 incomplete of 8 columns):", "",
        *_markdown(chained)])


if __name__ == "__main__":
    main()
