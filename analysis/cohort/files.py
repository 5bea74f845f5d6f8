"""Writing simulated cohorts: patient and lesion tables (CSV or Parquet) and the sidecar."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.cohort.moments import SimulationError
from analysis.data import schema

_SUFFIXES = (".csv", ".parquet", ".pq")


def check_suffix(path: Path) -> str:
    """The lower-case suffix of ``path``; a SimulationError unless it is .csv or .parquet."""
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        raise SimulationError(f"Cannot write '{path.name}': use a file name ending in "
                              f".csv or .parquet.")
    return suffix


def _write(frame: pd.DataFrame, path: Path) -> Path:
    path = Path(path)
    suffix = check_suffix(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        out = frame.copy()
        for col in out.columns:
            if out[col].dtype == "boolean":
                out[col] = out[col].astype("Int8")  # canonical 1/0
            elif out[col].dtype == "float64" and np.array_equal(out[col], np.round(out[col])):
                out[col] = out[col].astype("Int64")  # whole numbers without ".0"
        out.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return path


def write_cohort(patients: pd.DataFrame, path: str | Path, *, seed: int,
                 lesions_file: str | Path | None = None) -> Path:
    """Write a simulated patient table (csv/parquet by extension) and its sidecar.

    The sidecar ``<path>.meta.json`` holds ``{"simulated": true, "seed", "n",
    "generator": "analysis.cohort.simulate", "label": schema.SIMULATED_LABEL}``; the loader
    marks such a data set as simulated.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = _write(patients, Path(path))
    meta = {"simulated": True, "seed": int(seed), "n": int(len(patients)),
            "generator": "analysis.cohort.simulate", "label": schema.SIMULATED_LABEL}
    if lesions_file is not None:
        meta["lesions"] = Path(lesions_file).name
    Path(f"{path}.meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return path


def write_lesions(lesions: pd.DataFrame, path: str | Path) -> Path:
    """Write the lesion table (csv/parquet by extension)."""
    return _write(lesions, Path(path))
