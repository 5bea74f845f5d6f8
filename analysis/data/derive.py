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

#: ``frame.attrs`` key holding the ``(ldl_cut, sbp_cut)`` the flags were derived with.
CUTS_ATTR = "derived_cuts"


def _float_values(values: pd.Series) -> np.ndarray:
    """Float64 array of a numeric column, NaN where missing (no copy for float64)."""
    if values.dtype == np.float64:
        return values.to_numpy()
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def below(values: pd.Series, cut: float) -> pd.arrays.BooleanArray:
    """True where ``values < cut``, <NA> where the value is missing."""
    x = _float_values(values)
    missing = np.isnan(x)
    return pd.arrays.BooleanArray(np.less(x, cut, where=~missing, out=np.zeros(len(x), bool)),
                                  missing)


def therapy_flags(frame: pd.DataFrame, *, ldl_cut: float = DEFAULT_LDL_CUT,
                  sbp_cut: float = DEFAULT_SBP_CUT) -> dict[str, pd.arrays.BooleanArray]:
    """The therapy flags of ``frame`` at the given cut-points (those whose input is present).

    ``ldl_intensive`` = on-treatment LDL-C < ``ldl_cut`` mg/dl; ``sbp_intensive`` = SBP
    < ``sbp_cut`` mmHg; missing where the measurement is missing.
    """
    flags = {}
    if "ldl_c" in frame.columns:
        flags["ldl_intensive"] = below(frame["ldl_c"], ldl_cut)
    if "sbp" in frame.columns:
        flags["sbp_intensive"] = below(frame["sbp"], sbp_cut)
    return flags


def derived_at(frame: pd.DataFrame, ldl_cut: float, sbp_cut: float) -> bool:
    """True when ``frame``'s therapy flags were set by :func:`add_derived` at these cuts."""
    return frame.attrs.get(CUTS_ATTR) == (float(ldl_cut), float(sbp_cut))


def derived_names(columns) -> list[str]:
    """The derived columns :func:`add_derived` gives a frame with these ``columns``."""
    present = set(columns)
    names = []
    if {"pav_baseline", "pav_followup"} <= present:
        names.append("delta_pav")
    if {"tav_baseline", "tav_followup"} <= present:
        names.append("delta_tav")
    names += [flag for flag, src in (("ldl_intensive", "ldl_c"), ("sbp_intensive", "sbp"))
              if src in present]
    if "delta_pav" in names or "delta_pav" in present:
        names.append("regression")
    return names


def add_derived(frame: pd.DataFrame, *, ldl_cut: float = DEFAULT_LDL_CUT,
                sbp_cut: float = DEFAULT_SBP_CUT) -> pd.DataFrame:
    """Return a copy of ``frame`` with the derived columns (re)computed.

    ``delta_pav``/``delta_tav`` = follow-up minus baseline; ``ldl_intensive`` =
    on-treatment LDL-C < ``ldl_cut`` mg/dl; ``sbp_intensive`` = SBP < ``sbp_cut`` mmHg;
    ``regression`` = ΔPAV < 0. A missing input gives a missing derived value.
    Columns whose inputs are absent are not added. ``attrs["derived_cuts"]`` records
    the cut-points, so :func:`analysis.selection.apply_filters` can keep the flags
    when a selection uses the same ones. The copy is shallow (copy-on-write: changing
    it never changes ``frame``, nor the other way round), so a load copies no column.
    A deep copy consolidates the blocks, but at 1,000,000 patients loaded from a CSV
    that cost 0.3-0.8 s and 100 MiB more resident memory after the load, and the
    pages' peak was 37 MiB higher, not lower (``load_dataset`` then the pages of
    ``benchmarks.bench_analysis``, measured both ways in one session).
    """
    out = frame.copy(deep=False)
    if {"pav_baseline", "pav_followup"} <= set(out.columns):
        out["delta_pav"] = out["pav_followup"] - out["pav_baseline"]
    if {"tav_baseline", "tav_followup"} <= set(out.columns):
        out["delta_tav"] = out["tav_followup"] - out["tav_baseline"]
    for name, flag in therapy_flags(out, ldl_cut=ldl_cut, sbp_cut=sbp_cut).items():
        out[name] = flag
    if "delta_pav" in out.columns:
        out["regression"] = below(out["delta_pav"], 0.0)
    out.attrs[CUTS_ATTR] = (float(ldl_cut), float(sbp_cut))
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
