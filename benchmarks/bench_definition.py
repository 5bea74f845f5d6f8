"""Speed of the definition explorer's analyses, side by side with the bare computation.

One page view of ``/definition`` asks for: the flow table (``api.definition_flow``), the
headline ANCOVA at the chosen and at the published definition (``api.ancova`` twice) and
the sensitivity curves (``api.definition_curve``: 16 arc limits + 9 maximum lengths, 25
fits). Measured in one run, on the bundled study (1,847 patients, 3,082 deposits) and on
a simulated study of :data:`N_LARGE` patients with the same share of other calcification:

* the page's analyses cold (cache emptied first; median of several runs) and cached;
* each entry cold;
* the bare computation of the same numbers: a plain pandas classification (groupby
  patient over the lesion table) and ``statsmodels.OLS`` on a ``get_dummies`` design,
  once for the headline and once per grid point for the curve;
* for scale, the curve as a loop of ``regroup`` + ``analysis.ancova`` per grid point (what
  it would cost without the prepared design).

Ratios are ours / bare (below 1: faster than the bare computation).

Run: ``python -m benchmarks.bench_definition`` (prints a table; ``main()`` returns it).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import statsmodels.api as sm

from analysis.data.derive import add_derived
from analysis.data.loader import Dataset, Provenance, fingerprint
from analysis.selection.definition import SpottyDefinition
from analysis.stats.linear.fit import blas_limit
from benchmarks.run_all import markdown_table

#: The larger simulated study (patients, of which :data:`OTHER_SHARE` other calcification).
N_LARGE = 100_000
#: Share of other calcification in the bundled study (500 of 1,847).
OTHER_SHARE = 500 / 1847
SEED = 20120501
#: The chosen definition of the page view measured.
QUERY = "spotty_arc=120&spotty_len=1-6"
CHOSEN = SpottyDefinition(max_arc=120, min_length=1, max_length=6)
#: The headline model (the default adjustment of ancova for delta_pav).
NUMERIC = ("pav_baseline", "age", "hdl_c")
FACTORS = ("trial", "sex", "diabetes", "prior_mi")


def simulated_study(n: int, seed: int = SEED) -> Dataset:
    """A Dataset of ``n`` simulated patients with their lesion table (no file)."""
    from analysis.cohort.simulate import simulate_cohort

    patients, lesions = simulate_cohort(n, seed, n_other=round(n * OTHER_SHARE))
    frame = add_derived(patients)
    prov = Provenance(source=f"simulate_cohort(n={n}, seed={seed})", format="memory",
                      rows=len(frame), columns=tuple(frame.columns),
                      fingerprint=fingerprint(frame, lesions), simulated=True, sheet=None,
                      mapping=None, loaded_at=datetime.now(UTC).isoformat(timespec="seconds"),
                      lesions_source="<DataFrame>", lesion_rows=len(lesions))
    return Dataset(frame=frame, lesions=lesions, provenance=prov, report=None)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- bare
def bare_groups(frame: pd.DataFrame, lesions: pd.DataFrame, d: SpottyDefinition) -> pd.Series:
    """Group per patient by plain pandas: groupby patient over the deposits."""
    sp = (lesions["arc_deg"] < d.max_arc) & lesions["length_mm"].between(d.min_length,
                                                                         d.max_length)
    per = sp.groupby(lesions["patient_id"]).agg(["any", "all"])
    spotty = per["any"] & (per["all"] if d.other == "exclude" else True)
    group = pd.Series("other", index=per.index).where(~spotty, "spotty")
    return frame["patient_id"].map(group).fillna("none")


def bare_design(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Covariates as a get_dummies design (complete cases) and the outcome."""
    cov = pd.concat([frame[list(NUMERIC)],
                     pd.get_dummies(frame[list(FACTORS)].astype(str), drop_first=True,
                                    dtype=float)], axis=1)
    return cov, frame["delta_pav"].to_numpy(float)


def bare_difference(frame: pd.DataFrame, groups: pd.Series) -> tuple[float, float]:
    """spotty - none coefficient and SE of ``statsmodels.OLS`` on the headline design."""
    keep = groups.isin(["none", "spotty"]).to_numpy()
    cov, y = bare_design(frame[keep])
    X = sm.add_constant(pd.concat([(groups[keep] == "spotty").astype(float).rename("spotty"),
                                   cov], axis=1))
    with blas_limit():  # the same BLAS threads as our fits (busy cores: see fit.py)
        fit = sm.OLS(y, X.to_numpy(float)).fit()
    return float(fit.params[1]), float(fit.bse[1])


def _grid() -> list[SpottyDefinition]:
    from analysis.stats.definition import DEFAULT_ARCS, DEFAULT_LENGTHS, grid_definitions

    return [d for _axis, d in grid_definitions(CHOSEN, DEFAULT_ARCS, DEFAULT_LENGTHS)]


def bare_page(ds: Dataset) -> None:
    """The page's numbers computed bare: flow, two headline fits, the curve's fits."""
    with blas_limit():
        _bare_page(ds)


def _bare_page(ds: Dataset) -> None:
    f, les = ds.frame, ds.lesions
    chosen = bare_groups(f, les, CHOSEN)
    pd.crosstab(f["calcification"].astype(str), chosen)
    bare_difference(f, chosen)
    bare_difference(f, f["calcification"].astype(str))
    for d in _grid():
        bare_difference(f, bare_groups(f, les, d))


def loop_curve(ds: Dataset) -> None:
    """The curve as regroup + analysis.ancova per grid point (no prepared design)."""
    import analysis
    from analysis.selection.definition import regroup

    for d in _grid():
        analysis.ancova(regroup(ds.frame, ds.lesions, d), "delta_pav", diagnostics=False)


# ----------------------------------------------------------------------------- ours
def page(fp: str) -> list:
    """The analyses of one /definition page view."""
    from analysis.service import api

    return [api.definition_flow(fp, QUERY),
            api.ancova(fp, QUERY, "delta_pav", diagnostics=False),
            api.ancova(fp, "", "delta_pav", diagnostics=False),
            api.definition_curve(fp, QUERY)]


def _median(fn: Callable[[], object], repeat: int, before: Callable[[], None] | None = None
            ) -> float:
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _study_rows(label: str, ds: Dataset, repeat: int) -> list[tuple]:
    from analysis.data import registry
    from analysis.service import api

    fp = registry.register(ds)
    results = page(fp)  # warm-up (imports), and a check that the page computes
    bad = [r.error for r in results if r.error]
    if bad:
        raise RuntimeError(f"the page's analyses failed: {bad}")
    rows = []
    cold = _median(lambda: page(fp), repeat, api.clear)
    bare = _median(lambda: bare_page(ds), repeat)
    rows.append((label, "page analyses (flow + 2 ANCOVA + curve), cold", cold, bare))
    rows.append((label, "page analyses, cached", _median(lambda: page(fp), 5), bare))
    curve = _median(lambda: api.definition_curve(fp, QUERY), repeat, api.clear)
    f, les = ds.frame, ds.lesions
    bare_curve = _median(lambda: [bare_difference(f, bare_groups(f, les, d))
                                  for d in _grid()], repeat)
    rows.append((label, f"definition_curve ({len(_grid())} fits), cold", curve, bare_curve))
    rows.append((label, "curve as regroup + ancova per point", _median(lambda: loop_curve(ds),
                                                                        1), bare_curve))
    flow = _median(lambda: api.definition_flow(fp, QUERY), repeat, api.clear)
    bare_flow = _median(lambda: pd.crosstab(f["calcification"].astype(str),
                                            bare_groups(f, les, CHOSEN)), repeat)
    rows.append((label, "definition_flow, cold", flow, bare_flow))
    headline = _median(lambda: api.ancova(fp, QUERY, "delta_pav", diagnostics=False), repeat,
                       api.clear)
    bare_head = _median(lambda: bare_difference(f, bare_groups(f, les, CHOSEN)), repeat)
    rows.append((label, "headline ANCOVA at the chosen definition, cold", headline, bare_head))
    return rows


def run(n_large: int = N_LARGE) -> pd.DataFrame:
    """Rows: study, what, seconds, bare seconds, ratio."""
    from analysis.data.loader import load_bundled
    from analysis.service import cache
    from analysis.settings import Settings

    cache.configure(Settings(cache_type="SimpleCache"))
    rows = _study_rows("bundled (1,847)", load_bundled(), repeat=5)
    t = time.perf_counter()
    big = simulated_study(n_large)
    print(f"simulated {n_large:,} patients, {len(big.lesions):,} deposits in "
          f"{time.perf_counter() - t:.1f} s")
    rows += _study_rows(f"simulated ({n_large:,})", big, repeat=3)
    out = pd.DataFrame(rows, columns=["study", "what", "seconds", "bare_s"])
    out["ratio"] = out["seconds"] / out["bare_s"]
    return out


def main() -> str:
    table = run()
    text = markdown_table(table, digits=3)
    print(text)
    return text


if __name__ == "__main__":
    main()
