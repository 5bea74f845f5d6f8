"""The definition of spotty calcification, as the reviewer may redefine it.

Published (Kataoka et al. 2012): a patient has spotty calcification when at least one
calcium deposit is 1-4 mm long with an arc < 90° and there is no other calcium; no
calcification = no deposit; any other calcium is outside the comparison ("other").
:class:`SpottyDefinition` moves the arc limit and the length range, and chooses
whether other (larger) calcium is allowed beside a spotty deposit. Its query keys
(``spotty_arc=90``, ``spotty_len=1-4``, ``spotty_other=exclude|allow``) are part of
the filter spec, so every page follows the chosen definition.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.data.schema import GROUP, OTHER_GROUP, SPOTTY_LENGTH_MM, SPOTTY_MAX_ARC_DEG, VARIABLES
from analysis.errors import FilterSpecError
from analysis.selection.canonical import format_number

OTHER_RULES = ("exclude", "allow")
ARC_LIMITS = (1.0, 360.0)
LENGTH_LIMITS = (0.0, 50.0)
KEYS = ("spotty_arc", "spotty_len", "spotty_other")
#: What a definition other than the published one needs (the message says how to give it).
NEEDS_LESIONS = ("The definition of spotty calcification can only be changed when a lesion "
                 "file is loaded (one row per deposit: patient_id, arc_deg, length_mm): add it "
                 "in 'Open a study' or start the app with --lesions FILE; or remove spotty_arc, "
                 "spotty_len and spotty_other from the link.")


def _number(text: Any, key: str) -> float:
    if isinstance(text, bool):
        raise FilterSpecError(f"{key}: {text!r} is not a number")
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise FilterSpecError(f"{key}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise FilterSpecError(f"{key}: {text!r} is not a finite number")
    return value


@dataclass(frozen=True)
class SpottyDefinition:
    """Arc limit (deposits with an arc below it), length range (inclusive), other rule."""

    max_arc: float = SPOTTY_MAX_ARC_DEG
    min_length: float = SPOTTY_LENGTH_MM[0]
    max_length: float = SPOTTY_LENGTH_MM[1]
    other: str = "exclude"

    def __post_init__(self) -> None:
        for name, key in (("max_arc", "spotty_arc"), ("min_length", "spotty_len"),
                          ("max_length", "spotty_len")):
            object.__setattr__(self, name, _number(getattr(self, name), key) + 0.0)
        lo, hi = ARC_LIMITS
        if not lo <= self.max_arc <= hi:
            raise FilterSpecError(f"spotty_arc must be from {lo:g} to {hi:g} degrees, "
                                  f"not {self.max_arc:g}")
        a, b = LENGTH_LIMITS
        if not a <= self.min_length <= self.max_length <= b:
            raise FilterSpecError(f"spotty_len must be LO-HI with {a:g} <= LO <= HI <= {b:g} mm, "
                                  f"not {self.min_length:g}-{self.max_length:g}")
        if self.other not in OTHER_RULES:
            raise FilterSpecError(f"spotty_other must be one of {', '.join(OTHER_RULES)}, "
                                  f"not {self.other!r}")

    @property
    def is_published(self) -> bool:
        return self == SpottyDefinition()

    @classmethod
    def from_params(cls, params: dict[str, str]) -> SpottyDefinition:
        """From query parameters (``spotty_arc``, ``spotty_len``, ``spotty_other``)."""
        d = cls()
        arc = _number(params["spotty_arc"], "spotty_arc") if "spotty_arc" in params else d.max_arc
        lo, hi = d.min_length, d.max_length
        if "spotty_len" in params:
            text = params["spotty_len"]
            parts = text.split("-")
            if len(parts) != 2:
                raise FilterSpecError(f"spotty_len must be LO-HI in mm (e.g. 1-4), not {text!r}")
            lo, hi = (_number(p, "spotty_len") for p in parts)
        other = params.get("spotty_other", d.other)
        return cls(arc, lo, hi, other.strip().lower() if isinstance(other, str) else other)

    def to_params(self) -> dict[str, str]:
        """Query parameters that differ from the published definition (canonical text)."""
        d, out = SpottyDefinition(), {}
        if self.max_arc != d.max_arc:
            out["spotty_arc"] = format_number(self.max_arc)
        if (self.min_length, self.max_length) != (d.min_length, d.max_length):
            out["spotty_len"] = f"{format_number(self.min_length)}-{format_number(self.max_length)}"
        if self.other != d.other:
            out["spotty_other"] = self.other
        return out

    def describe(self) -> str:
        """The definition in words (for filters lines, footnotes and the kit)."""
        rule = ("and no other calcium" if self.other == "exclude"
                else "(other calcium allowed beside it)")
        lo, hi, arc = (format_number(x) for x in (self.min_length, self.max_length, self.max_arc))
        text = f"Spotty calcification: a deposit {lo}-{hi} mm long with an arc < {arc}° {rule}"
        return text + (" (published definition)" if self.is_published else "")


def canonical_definition(value: Any) -> SpottyDefinition:
    """A :class:`SpottyDefinition` from itself, ``None`` (the published one) or a mapping
    of its query parameters (``{"spotty_arc": "120", ...}``, as ``FilterSpec.to_dict``
    writes it).

    Raises
    ------
    FilterSpecError
        Anything else, or a bad parameter.
    """
    if value is None:
        return SpottyDefinition()
    if isinstance(value, SpottyDefinition):
        return value
    if isinstance(value, Mapping):
        unknown = [k for k in value if k not in KEYS]
        if unknown:
            raise FilterSpecError(f"unknown definition key {unknown[0]!r}; allowed: "
                                  f"{', '.join(KEYS)}")
        return SpottyDefinition.from_params({k: str(v) for k, v in value.items()})
    raise FilterSpecError("the spotty definition must be a SpottyDefinition or a mapping of "
                          f"{', '.join(KEYS)}, not {type(value).__name__}")


def deposit_rows(patient_ids: pd.Series, lesion_ids: pd.Series) -> np.ndarray | None:
    """Position in ``patient_ids`` of each deposit's patient (-1: not among them).

    Matched as text by Arrow's hash lookup (``pyarrow.compute.index_in``): at 100,000
    patients a tenth of the time of a pandas index lookup on Python strings. ``None``
    when ``patient_ids`` repeats a value or has a missing one (no single position).
    """
    ids = pa.array(patient_ids.astype(str))
    if ids.null_count or pc.count_distinct(ids).as_py() != len(ids):
        return None
    pos = pc.index_in(pa.array(lesion_ids.astype(str)), value_set=ids).fill_null(-1)
    return pos.to_numpy().astype(np.intp)


def classify(patient_ids: pd.Series, lesions: pd.DataFrame,
             definition: SpottyDefinition = SpottyDefinition()) -> pd.DataFrame:
    """Calcification group and spotty-deposit count per patient under ``definition``.

    A deposit is spotty when ``min_length <= length <= max_length`` and
    ``arc < max_arc``. spotty = at least one spotty deposit and (rule "exclude") no
    other deposit; none = no deposit; other = every other patient with calcium.

    Returns a frame indexed like ``patient_ids`` with ``calcification`` and ``n_spotty``.
    """
    d = definition
    spotty = (lesions["length_mm"].between(d.min_length, d.max_length)
              & (lesions["arc_deg"] < d.max_arc)).to_numpy()
    pos = deposit_rows(patient_ids, lesions["patient_id"])
    if pos is not None:  # unique ids (the loader checks it): counted by position at once
        mine = pos >= 0
        n_spotty = np.bincount(pos[mine], weights=spotty[mine], minlength=len(patient_ids))
        n_other = np.bincount(pos[mine], weights=~spotty[mine], minlength=len(patient_ids))
        n_spotty, n_other = n_spotty.astype("int64"), n_other.astype("int64")
    else:
        per = pd.DataFrame({"patient_id": lesions["patient_id"].astype(str).to_numpy(),
                            "spotty": spotty, "other": ~spotty})
        counts = per.groupby("patient_id")[["spotty", "other"]].sum()
        text = patient_ids.astype(str)
        n_spotty = text.map(counts["spotty"]).fillna(0).astype("int64").to_numpy()
        n_other = text.map(counts["other"]).fillna(0).astype("int64").to_numpy()
    if d.other == "exclude":
        group = np.where(n_other > 0, OTHER_GROUP, np.where(n_spotty > 0, "spotty", "none"))
    else:
        group = np.where(n_spotty > 0, "spotty", np.where(n_other > 0, OTHER_GROUP, "none"))
    return pd.DataFrame({
        GROUP: pd.Categorical(group, categories=VARIABLES[GROUP].levels),
        "n_spotty": pd.array(n_spotty, dtype="Int64"),
    }, index=patient_ids.index)


def regroup(frame: pd.DataFrame, lesions: pd.DataFrame | None,
            definition: SpottyDefinition) -> pd.DataFrame:
    """``frame`` with its group and deposit count under ``definition`` (a copy).

    Raises
    ------
    FilterSpecError
        A definition other than the published one needs a lesion file.
    """
    if definition.is_published:
        return frame
    if lesions is None:
        raise FilterSpecError(NEEDS_LESIONS)
    out = frame.copy()
    groups = classify(out["patient_id"], lesions, definition)
    out[GROUP] = groups[GROUP]
    out["n_spotty"] = groups["n_spotty"]
    return out


def flow_table(before: pd.Series, after: pd.Series) -> pd.DataFrame:
    """Patients by group under the published (rows) and chosen (columns) definition."""
    levels = list(VARIABLES[GROUP].levels)
    k = len(levels)
    a = pd.Categorical(before, categories=levels).codes.astype(np.int64)
    b = pd.Categorical(after, categories=levels).codes.astype(np.int64)
    both = (a >= 0) & (b >= 0)  # a patient with no group is not counted
    counts = np.bincount(a[both] * k + b[both], minlength=k * k).reshape(k, k)
    table = pd.DataFrame(counts, index=pd.Index(levels, name="published"),
                         columns=pd.Index(levels, name="chosen"))
    return table


__all__ = ["KEYS", "NEEDS_LESIONS", "OTHER_RULES", "SpottyDefinition", "canonical_definition",
           "classify", "deposit_rows", "flow_table", "regroup"]
