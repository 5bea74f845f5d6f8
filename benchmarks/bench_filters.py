"""Speed of filtering and of the descriptive analyses, side by side with bare code.

Filtering: :func:`analysis.selection.apply_filters` (selection, attrition table,
group sizes and the therapy flags at the spec's cut-points) against the bare
computation: the same conditions written as one plain pandas boolean expression on
the same frame, then ``.loc[mask]``. Both run in the same process, interleaved, on
the bundled cohort (1,347), 100,000 and 1,000,000 simulated patients; the table
gives median milliseconds and the ratio ours / bare (target <= 2). The rows chosen
by both are compared (``same_rows``).

Descriptive analyses (Table 1, progression summary, histogram, box, KDE, ECDF,
paired summary, derived columns) at 1,000,000 patients, each cold (first call on
a freshly selected frame) next to a bare numpy / scipy / pandas computation of the
core numbers (named in the ``bare`` column), with the ratio.

Run: ``python -m benchmarks.bench_filters`` (``--quick`` skips 1M).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from analysis.data import registry
from analysis.data.derive import add_derived
from analysis.selection import FilterSpec, apply_filters
from analysis.stats import distributions
from analysis.stats.progression import progression_summary
from analysis.stats.table_one import table_one
from benchmarks.bench_analysis import simulated_dataset
from benchmarks.run_all import markdown_table

TARGET_RATIO = 2.0
GROUPS = ["none", "spotty"]


def _bare_default(df: pd.DataFrame) -> pd.DataFrame:
    return df.loc[df["calcification"].isin(GROUPS)]


def _bare_typical(df: pd.DataFrame) -> pd.DataFrame:
    mask = (df["calcification"].isin(GROUPS) & df["age"].between(50, 70)
            & (df["sex"] == "male") & df["statin"].isin(["moderate", "high"])
            & df["diabetes"].fillna(False) & (df["ldl_c"] < 70))
    return df.loc[mask]


def _bare_cut(df: pd.DataFrame) -> pd.DataFrame:
    return df.loc[df["calcification"].isin(GROUPS) & (df["ldl_c"] < 80)]


#: name -> (filter query, the same conditions as a bare pandas expression).
SPECS: dict[str, tuple[str, Callable[[pd.DataFrame], pd.DataFrame]]] = {
    "default (groups only)": ("", _bare_default),
    "typical (5 filters)": ("age=50-70&diabetes=yes&sex=male&statin=moderate,high"
                            "&ldl_therapy=intensive", _bare_typical),
    "cut-points moved": ("ldl_cut=80&ldl_therapy=intensive&sbp_cut=130", _bare_cut),
}


def _ms(fn: Callable[[], object]) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return (time.perf_counter() - t0) * 1e3, out


def bench_filters(frame: pd.DataFrame, repeat: int) -> list[dict]:
    """One row per spec: median ms of bare and ours (interleaved runs) and the ratio."""
    rows = []
    for name, (query, bare_fn) in SPECS.items():
        spec = FilterSpec.from_query(query)
        bare_fn(frame), apply_filters(frame, spec)  # warm-up (first-use costs)
        bare_t, ours_t = [], []
        for _ in range(repeat):
            t, bare = _ms(lambda: bare_fn(frame))  # noqa: B023 - called at once
            bare_t.append(t)
            t, ours = _ms(lambda: apply_filters(frame, spec))  # noqa: B023
            ours_t.append(t)
        b, o = statistics.median(bare_t), statistics.median(ours_t)
        rows.append({"n": len(frame), "spec": name, "bare_ms": b, "ours_ms": o,
                     "ratio": o / b, "ok": o / b <= TARGET_RATIO,
                     "same_rows": bool(ours.frame.index.equals(bare.index))})
    return rows


def _values(frame: pd.DataFrame, column: str) -> dict[str, np.ndarray]:
    """Bare per-group split: non-missing float values of ``column`` per group."""
    out = {}
    for g in GROUPS:
        x = frame.loc[frame["calcification"] == g, column].to_numpy(dtype=float)
        out[g] = x[~np.isnan(x)]
    return out


def _bare_table_one(df: pd.DataFrame) -> object:
    num = [c for c in ("age", "bmi", "ldl_c_baseline", "ldl_c", "hdl_c", "triglycerides",
                       "crp", "sbp", "dbp", "pav_baseline", "tav_baseline")]
    grouped = df.groupby("calcification", observed=True)
    return (grouped[num].agg(["mean", "std", "median"]),
            grouped[["sex", "statin", "trial"]].value_counts(),
            grouped[["diabetes", "hypertension", "prior_mi"]].sum())


def _bare_kde(df: pd.DataFrame) -> object:
    from scipy import stats

    grid = np.linspace(-10, 10, 200)
    return [stats.gaussian_kde(x[:20_000])(grid) for x in _values(df, "delta_pav").values()]


#: analysis -> (ours, bare name, bare computation).
ANALYSES: dict[str, tuple[Callable, str, Callable]] = {
    "table_one": (table_one, "pandas groupby mean/std/median, value_counts, sums",
                  _bare_table_one),
    "progression_summary": (lambda d: progression_summary(d, "delta_pav"),
                            "per-group split + np.quantile",
                            lambda d: [np.quantile(x, [.25, .5, .75])
                                       for x in _values(d, "delta_pav").values()]),
    "histogram": (lambda d: distributions.histogram(d, "delta_pav"),
                  "per-group split + np.histogram(bins=30)",
                  lambda d: [np.histogram(x, 30) for x in _values(d, "delta_pav").values()]),
    "box_summary": (lambda d: distributions.box_summary(d, "delta_pav"),
                    "per-group split + np.quantile",
                    lambda d: [np.quantile(x, [.25, .5, .75])
                               for x in _values(d, "delta_pav").values()]),
    "kde": (lambda d: distributions.kde(d, "delta_pav"),
            "scipy gaussian_kde on 20,000 values per group",
            _bare_kde),
    "ecdf": (lambda d: distributions.ecdf(d, "delta_pav"), "per-group split + np.sort",
             lambda d: [np.sort(x) for x in _values(d, "delta_pav").values()]),
    "paired_summary": (lambda d: distributions.paired_summary(d, "pav_baseline",
                                                                "pav_followup"),
                       "pandas groupby mean/std of both columns",
                       lambda d: d.groupby("calcification", observed=True)[
                           ["pav_baseline", "pav_followup"]].agg(["mean", "std"])),
    "add_derived (load time)": (add_derived, "frame.copy() + the five column expressions",
                    lambda d: d.copy().assign(delta_pav=d["pav_followup"] - d["pav_baseline"],
                                       delta_tav=d["tav_followup"] - d["tav_baseline"],
                                       ldl_intensive=d["ldl_c"] < 70, sbp_intensive=d["sbp"] < 120,
                                       regression=d["pav_followup"] < d["pav_baseline"])),
}


def bench_analyses(frame: pd.DataFrame) -> list[dict]:
    """Each descriptive analysis once, cold, on the default selection, next to bare code."""
    selected = apply_filters(frame, FilterSpec()).frame
    rows = []
    for name, (ours_fn, bare_name, bare_fn) in ANALYSES.items():
        ours, _ = _ms(lambda: ours_fn(selected))  # noqa: B023 - called at once
        bare, _ = _ms(lambda: bare_fn(selected))  # noqa: B023
        rows.append({"analysis": name, "ours_ms": ours, "bare_ms": bare,
                     "ratio": ours / bare, "bare": bare_name})
    rows.append({"analysis": "total", "ours_ms": sum(r["ours_ms"] for r in rows),
                 "bare_ms": sum(r["bare_ms"] for r in rows), "ratio": float("nan"),
                 "bare": ""})
    return rows


def run(*, quick: bool = False) -> dict[str, pd.DataFrame]:
    """Filter table for every size, analysis table at the largest size."""
    rows = bench_filters(registry.active().frame, repeat=25)
    sizes = (100_000,) if quick else (100_000, 1_000_000)
    analyses = None
    for n in sizes:
        frame = simulated_dataset(n).frame
        rows += bench_filters(frame, repeat=7 if n > 100_000 else 15)
        if n == sizes[-1]:
            analyses = pd.DataFrame(bench_analyses(frame))
        del frame
    return {"filters": pd.DataFrame(rows), "analyses": analyses, "n_max": sizes[-1]}


def to_markdown(res: dict) -> str:
    """A markdown section for benchmarks/results/latest.md."""
    return "\n".join([
        "## Filtering (apply_filters) against a bare pandas mask", "",
        f"Median ms, interleaved runs in one process; target ratio <= {TARGET_RATIO:g}.", "",
        markdown_table(res["filters"], 2), "",
        f"## Descriptive analyses at {res['n_max']:,} patients, cold, one run", "",
        markdown_table(res["analyses"], 1), ""])


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 1M-patient run")
    args = parser.parse_args(argv)
    text = to_markdown(run(quick=args.quick))
    print(text)
    return text


if __name__ == "__main__":
    main()
