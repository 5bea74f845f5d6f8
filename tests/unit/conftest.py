"""Shared fixtures for the unit tests.

``make_frame`` casts plain Python columns to the dictionary dtypes (analysis.data.schema)
and adds the derived columns (analysis.data.derive), as a validated frame would have them.
``tiny_cohort`` is small enough to check by hand; ``random_cohort`` is a larger
seeded frame for invariance tests; ``sim_cohort`` is the bundled simulated cohort
(committed; the tests fail, not skip, if it is missing).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from analysis.data import schema
from analysis.data.derive import add_derived
from analysis.settings import BUNDLED_COHORT

_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f"}


def _cast(name: str, values) -> pd.Series:
    var = schema.get(name)
    series = pd.Series(values)
    if var.dtype == "bool":
        text = series.astype("str").str.strip().str.lower()
        out = pd.Series(pd.NA, index=series.index, dtype="boolean")
        out[text.isin(_TRUE)] = True
        out[text.isin(_FALSE)] = False
        return out
    if var.dtype == "category":
        if var.levels:
            text = series.astype("str").str.strip().str.lower().where(series.notna())
            return text.astype(var.pandas_dtype())
        cats = sorted(series.dropna().astype("str").unique())
        return series.astype("str").where(series.notna()).astype(pd.CategoricalDtype(cats))
    if var.dtype == "int":
        return pd.to_numeric(series).astype("Int64")
    if var.dtype == "float":
        return pd.to_numeric(series).astype("float64")
    return series.astype("str")


def make_frame(columns: dict[str, list]) -> pd.DataFrame:
    """A frame with dictionary dtypes and derived columns from plain lists."""
    frame = pd.DataFrame({name: _cast(name, values) for name, values in columns.items()})
    return add_derived(frame)


@pytest.fixture(scope="session")
def frame_from() -> Callable[[dict[str, list]], pd.DataFrame]:
    """The ``make_frame`` builder, for tests that need their own small frame."""
    return make_frame


N, Y, NA = False, True, None

# 5 "none", 6 "spotty", 2 "other" patients. Hand values per group are in the tests.
TINY = {
    "patient_id": [f"P{i:02d}" for i in range(1, 14)],
    "trial": ["A", "A", "B", "B", "C", "A", "A", "B", "B", "C", "C", "A", "B"],
    "calcification": ["none"] * 5 + ["spotty"] * 6 + ["other"] * 2,
    "age": [50, 52, 54, 56, 58, 55, 57, 59, 61, np.nan, 63, 70, 80],
    "sex": ["female", "female", "male", "male", "male",
            "male", "male", "male", "male", "female", "male", "female", "male"],
    "diabetes": [Y, N, N, N, NA, Y, Y, N, N, Y, N, Y, N],
    "prior_mi": [N, N, N, N, Y, Y, N, Y, N, N, N, N, Y],
    "hdl_c": [40, 45, 50, 55, 60, 30, 35, 40, 45, 50, 40, 60, 70],
    "triglycerides": [100, 120, 150, 200, 400, 90, 110, 130, 170, 250, 600, 140, 160],
    "statin": ["none", "moderate", "high", "high", "high",
               "moderate", "moderate", "high", "high", "high", NA, "none", "high"],
    "pav_baseline": [30, 32, 34, 36, 38, 40, 42, 44, 46, 48, 50, 35, 45],
    "pav_followup": [29, 32, 34.5, 37, 40, 41, 44, 43.5, 47.5, 51, np.nan, 36, 44],
    "tav_baseline": [100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200, 150, 160],
    "tav_followup": [98, 112, 119, 133, 141, 155, 158, 176, 181, 197, np.nan, 149, 165],
}


@pytest.fixture
def tiny_cohort() -> pd.DataFrame:
    """13 patients (5 none, 6 spotty, 2 other) with dictionary dtypes.

    Per group (numbers used by the hand calculations in the tests):

    * age: none 50, 52, 54, 56, 58 (mean 54, SD sqrt(10)); spotty 55, 57, 59, 61, NaN,
      63 (mean 59, SD sqrt(10), 1 missing)
    * sex male: none 3/5; spotty 5/6
    * diabetes: none 1/4 (1 missing); spotty 3/6
    * triglycerides: none 100, 120, 150, 200, 400; spotty 90, 110, 130, 170, 250, 600
    * statin: none none/moderate/high = 1/1/3; spotty 0/2/3 (1 missing)
    * delta_pav: none -1, 0, 0.5, 1, 2; spotty 1, 2, -0.5, 1.5, 3, NaN
    """
    return make_frame(TINY)


def random_columns(n: int, seed: int) -> dict[str, list]:
    """Plain columns of a seeded random cohort (about 1/3 none, 2/3 spotty, a few other)."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["none", "spotty", "other"], size=n, p=[0.3, 0.65, 0.05])
    spotty = group == "spotty"
    age = rng.normal(54 + 2 * spotty, 10.5).round(1)
    age[rng.random(n) < 0.02] = np.nan
    pav0 = np.clip(rng.normal(29 + 7 * spotty, 8), 5, 80)
    tav0 = np.clip(rng.normal(134 + 40 * spotty, 65), 10, 800)
    return {
        "patient_id": [f"R{i:05d}" for i in range(n)],
        "trial": rng.choice(["T1", "T2", "T3"], size=n).tolist(),
        "calcification": group.tolist(),
        "age": age.tolist(),
        "sex": np.where(rng.random(n) < 0.54 + 0.14 * spotty, "male", "female").tolist(),
        "diabetes": (rng.random(n) < 0.24 + 0.06 * spotty).tolist(),
        "prior_mi": (rng.random(n) < 0.20 + 0.08 * spotty).tolist(),
        "hdl_c": rng.normal(51 - 3 * spotty, 16.5).clip(10, 150).round(1).tolist(),
        "triglycerides": np.exp(rng.normal(5.0, 0.5, n)).round(0).tolist(),
        "crp": np.exp(rng.normal(0.7, 1.0, n)).round(2).tolist(),
        "statin": rng.choice(["none", "moderate", "high"], size=n, p=[0.1, 0.5, 0.4]).tolist(),
        "pav_baseline": pav0.tolist(),
        "pav_followup": (pav0 + rng.normal(0.02 + 0.4 * spotty, 2.2)).tolist(),
        "tav_baseline": tav0.tolist(),
        "tav_followup": (tav0 + rng.normal(-2 + 3 * spotty, 15)).tolist(),
    }


@pytest.fixture(scope="session")
def random_cohort() -> pd.DataFrame:
    """600 seeded random patients with dictionary dtypes (read-only: do not modify)."""
    return make_frame(random_columns(600, seed=20120501))


@pytest.fixture(scope="session")
def sim_cohort() -> pd.DataFrame:
    """The bundled simulated cohort (data/simulated_cohort.csv) with dictionary dtypes."""
    # committed with the repository: a missing file is a failure, never a silent skip
    assert BUNDLED_COHORT.exists(), f"{BUNDLED_COHORT} is missing"
    raw = pd.read_csv(BUNDLED_COHORT, dtype="str", keep_default_na=True)
    known = [c for c in raw.columns if c in schema.VARIABLES and not schema.get(c).derived]
    return make_frame({c: raw[c].where(raw[c].notna(), None).tolist() for c in known})


@pytest.fixture(scope="session")
def kaleido_server():
    """One kaleido server for the test process (figures render in about a second)."""
    from components import static_images

    static_images.start()
    yield
    static_images.stop()


@pytest.fixture(scope="session")
def spotty_by_pandas():
    """Patients per group under a definition, read literally with plain pandas from the
    lesion table (the independent reference of the definition tests):
    ``spotty_by_pandas(patient_ids, lesions, arc, lo, hi, other)`` -> Series of groups."""

    def derive(patient_ids, lesions, arc, lo, hi, other):
        les = lesions.assign(pid=lesions["patient_id"].astype(str))
        les["sp"] = (les["arc_deg"] < arc) & (les["length_mm"] >= lo) & (les["length_mm"] <= hi)
        per = les.groupby("pid")["sp"].agg(["any", "all"])
        ids = patient_ids.astype(str)
        has = ids.isin(per.index)
        spotty = ids.map(per["any"]).fillna(False).astype(bool)
        if other == "exclude":
            spotty &= ids.map(per["all"]).fillna(False).astype(bool)
        return pd.Series(np.where(~has, "none", np.where(spotty, "spotty", "other")),
                         index=patient_ids.index)

    return derive
