"""Derived columns: always computed here, never read from a file."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.data.schema import (
    DEFAULT_LDL_CUT,
    DEFAULT_SBP_CUT,
    GROUP,
    OTHER_GROUP,
    SPOTTY_LENGTH_MM,
    SPOTTY_MAX_ARC_DEG,
    VARIABLES,
)

DERIVED = [v.name for v in VARIABLES.values() if v.derived]


def _below(values: pd.Series, cut: float) -> pd.Series:
    """True where ``values < cut``, <NA> where the value is missing."""
    out = pd.Series(values < cut, index=values.index, dtype="boolean")
    out[values.isna()] = pd.NA
    return out


def add_derived(frame: pd.DataFrame, *, ldl_cut: float = DEFAULT_LDL_CUT,
                sbp_cut: float = DEFAULT_SBP_CUT) -> pd.DataFrame:
    """Return a copy of ``frame`` with the derived columns (re)computed.

    ``delta_pav``/``delta_tav`` = follow-up minus baseline; ``ldl_intensive`` =
    on-treatment LDL-C < ``ldl_cut`` mg/dl; ``sbp_intensive`` = SBP < ``sbp_cut`` mmHg;
    ``regression`` = ΔPAV < 0. A missing input gives a missing derived value.
    Columns whose inputs are absent are not added.
    """
    out = frame.copy()
    if {"pav_baseline", "pav_followup"} <= set(out.columns):
        out["delta_pav"] = out["pav_followup"] - out["pav_baseline"]
    if {"tav_baseline", "tav_followup"} <= set(out.columns):
        out["delta_tav"] = out["tav_followup"] - out["tav_baseline"]
    if "ldl_c" in out.columns:
        out["ldl_intensive"] = _below(out["ldl_c"], ldl_cut)
    if "sbp" in out.columns:
        out["sbp_intensive"] = _below(out["sbp"], sbp_cut)
    if "delta_pav" in out.columns:
        out["regression"] = _below(out["delta_pav"], 0.0)
    return out


def group_from_lesions(patient_ids: pd.Series, lesions: pd.DataFrame) -> pd.DataFrame:
    """Calcification group and spotty-deposit count per patient from a lesion table.

    spotty = at least one deposit 1-4 mm long with an arc < 90° and no other calcium;
    none = no deposit; other = any other calcium (outside this comparison).

    Returns a frame indexed like ``patient_ids`` with columns ``calcification`` and
    ``n_spotty``.
    """
    lo, hi = SPOTTY_LENGTH_MM
    is_spotty = (lesions["length_mm"].between(lo, hi)) & (lesions["arc_deg"] < SPOTTY_MAX_ARC_DEG)
    per = pd.DataFrame({"patient_id": lesions["patient_id"].astype(str),
                        "spotty": is_spotty.to_numpy(), "other": (~is_spotty).to_numpy()})
    counts = per.groupby("patient_id")[["spotty", "other"]].sum()
    ids = patient_ids.astype(str)
    n_spotty = ids.map(counts["spotty"]).fillna(0).astype("int64")
    n_other = ids.map(counts["other"]).fillna(0).astype("int64")
    group = np.where(n_other > 0, OTHER_GROUP, np.where(n_spotty > 0, "spotty", "none"))
    return pd.DataFrame({
        GROUP: pd.Categorical(group, categories=VARIABLES[GROUP].levels),
        "n_spotty": pd.array(n_spotty.to_numpy(), dtype="Int64"),
    }, index=patient_ids.index)
