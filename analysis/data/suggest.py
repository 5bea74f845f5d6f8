"""A suggested column mapping for a file the dictionary has never seen.

For each dictionary variable, :func:`suggest_mapping` proposes the file's column it
maps from, scored by name similarity (the column name against the variable's name
and label) and by value profile (numbers within the valid range for a numeric
variable; few distinct values for a category); a code table for categorical columns
whose values the loader does not understand by itself, pre-filled where a common
convention is unambiguous (yes/no spellings); and the lipid unit (mmol/L when the
values are in the mmol/L range). The result is a mapping in the format of the
mapping file (docs/mapping-example.toml): :func:`to_toml` writes it, the browser's
mapping wizard starts from it, and a user checks it against the live report.

A suggestion is never applied silently: it is only a starting point that the user
sees and edits; the loader validates whatever mapping is finally used.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.data.mapping import UNIT_FACTORS
from analysis.data.schema import PATIENT_VARIABLES, Variable
from analysis.data.validation import FALSE_TOKENS, LEVEL_SYNONYMS, MISSING_TOKENS, TRUE_TOKENS

#: Below this score a column is not suggested for a variable.
MIN_SCORE = 0.55
#: A column with more distinct values than this is not a category.
MAX_LEVELS = 20
#: Most frequent values listed per column in a profile.
TOP_VALUES = 25
#: Values above this (in the file) make mg/dl likelier than mmol/L for lipids.
MMOL_MAX = 25.0


#: Names other studies commonly use (CDISC-style and abbreviations), per variable.
ALIASES: dict[str, tuple[str, ...]] = {
    "patient_id": ("subjid", "usubjid", "id", "patid", "patientid", "subject", "pid"),
    "trial": ("study", "studyid", "trialid", "protocol"),
    "followup_months": ("fu", "fumonths", "followup", "months"),
    "sex": ("gender", "sexn", "male"),
    "diabetes": ("dm", "diab", "diabetic", "t2dm"),
    "hypertension": ("htn", "hbp"),
    "current_smoker": ("smoker", "smoking", "smoke", "cursmk"),
    "prior_mi": ("mi", "priormi", "hxmi", "previousmi"),
    "triglycerides": ("tg", "trig"),
    "calcification": ("calc", "calcgroup", "calcgrp", "spotty", "calcium"),
    "n_spotty": ("nspotty", "spottycount", "ncalc"),
    "beta_blocker": ("bb", "betablocker"),
    "ace_arb": ("acei", "arb", "aceiarb", "raas"),
}


@dataclass(frozen=True)
class ColumnProfile:
    """What a file column holds: counts, numeric range, the most frequent values."""

    name: str
    n: int
    n_missing: int
    n_distinct: int
    numeric_share: float
    minimum: float | None
    maximum: float | None
    top: tuple[tuple[str, int], ...]


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", str(text).lower())


def profile_column(name: str, values: pd.Series) -> ColumnProfile:
    """The profile of one raw column (text or numbers; missing tokens count as missing)."""
    text = values.astype("str").str.strip()
    missing = values.isna().to_numpy() | text.str.lower().isin(MISSING_TOKENS).to_numpy()
    present = text[~missing]
    numbers = pd.to_numeric(present, errors="coerce")
    ok = numbers.notna()
    counts = present.value_counts()
    return ColumnProfile(
        name=str(name), n=len(values), n_missing=int(missing.sum()),
        n_distinct=int(counts.size),
        numeric_share=float(ok.mean()) if len(present) else 0.0,
        minimum=float(numbers[ok].min()) if ok.any() else None,
        maximum=float(numbers[ok].max()) if ok.any() else None,
        top=tuple((str(k), int(v)) for k, v in counts.head(TOP_VALUES).items()))


def profile_frame(frame: pd.DataFrame) -> dict[str, ColumnProfile]:
    """Profiles of every column of a raw table, by column name."""
    return {str(c): profile_column(str(c), frame[c]) for c in frame.columns}


def name_score(column: str, var: Variable) -> float:
    """Similarity of a column name to a variable's name or label (0-1)."""
    col = _norm(column)
    if not col:
        return 0.0
    best = 0.0
    for cand in (var.name, var.label, var.name.replace("_c", ""), *ALIASES.get(var.name, ())):
        ref = _norm(cand)
        if col == ref:
            return 1.0
        ratio = difflib.SequenceMatcher(None, col, ref).ratio()
        if ref and (col.startswith(ref) or ref.startswith(col)) and min(len(col), len(ref)) >= 3:
            ratio = max(ratio, 0.8)
        best = max(best, ratio)
    return best


def value_score(prof: ColumnProfile, var: Variable) -> float:
    """How well the values fit the variable (0-1; 0.5 when nothing can be said)."""
    if prof.n == prof.n_missing:
        return 0.5
    if var.is_numeric:
        if prof.numeric_share < 0.95:
            return 0.0
        rng = var.valid_range
        if rng is None or prof.minimum is None:
            return 0.7
        lo, hi = rng
        factors = UNIT_FACTORS.get(var.name, {"": 1.0}).values()
        inside = any(lo <= prof.minimum * f and prof.maximum * f <= hi for f in factors)
        return 1.0 if inside else 0.2
    if var.is_categorical:
        return 1.0 if prof.n_distinct <= (2 if var.is_binary else MAX_LEVELS) + 1 else 0.0
    return 1.0 if prof.n_distinct >= 0.9 * (prof.n - prof.n_missing) else 0.3  # identifier


def understood(var: Variable, value: str) -> object:
    """What the loader reads ``value`` as without a code table ('' when it cannot)."""
    low = value.strip().lower()
    if var.is_binary:
        return True if low in TRUE_TOKENS else False if low in FALSE_TOKENS else ""
    levels = {lev.lower(): lev for lev in (var.levels or ())}
    return levels.get(low) or LEVEL_SYNONYMS.get(var.name, {}).get(low, "")


def suggest_codes(prof: ColumnProfile, var: Variable) -> dict[str, object]:
    """Code table of a categorical column when some value needs one.

    Every value found is listed, those the loader understands with their meaning,
    the others with ``""`` (the user chooses). Empty when every value is understood
    or the variable is an open set (trial).
    """
    if not (var.is_binary or (var.is_categorical and var.levels is not None)):
        return {}
    table = {v: understood(var, v) for v, _n in prof.top}
    return table if any(m == "" for m in table.values()) else {}


def suggest_unit(prof: ColumnProfile, var: Variable) -> str | None:
    """``"mmol/L"`` for a lipid column whose values sit in the mmol/L range."""
    if var.name not in UNIT_FACTORS or var.unit is None or prof.maximum is None:
        return None
    if var.unit.lower() == "mg/dl" and prof.maximum <= MMOL_MAX:
        return "mmol/L"
    return None


def suggest_mapping(frame: pd.DataFrame) -> dict:
    """A mapping (mapping-file format) for a raw table: columns, codes, units.

    Columns are assigned greedily by score (name similarity x value fit), each file
    column to one variable at most; derived variables are never mapped.
    """
    profiles = profile_frame(frame)
    variables = [v for v in PATIENT_VARIABLES if not v.derived]
    scored = []
    for var in variables:
        for col, prof in profiles.items():
            score = name_score(col, var) * (0.5 + 0.5 * value_score(prof, var))
            if score >= MIN_SCORE:
                scored.append((score, var.name, col))
    columns: dict[str, str] = {}
    used: set[str] = set()
    for _score, name, col in sorted(scored, key=lambda s: (-s[0], s[1], s[2])):
        if name not in columns and col not in used:
            columns[name] = col
            used.add(col)
    by_name = {v.name: v for v in variables}
    codes, units = {}, {}
    for name, col in columns.items():
        table = suggest_codes(profiles[col], by_name[name])
        if table:
            codes[name] = table
        unit = suggest_unit(profiles[col], by_name[name])
        if unit:
            units[name] = unit
    return {"columns": dict(sorted(columns.items(), key=lambda kv: _order(kv[0]))),
            "codes": codes, "units": units}


def _order(name: str) -> int:
    return next((i for i, v in enumerate(PATIENT_VARIABLES) if v.name == name), 999)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        return repr(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def to_toml(mapping: dict) -> str:
    """The mapping as a mapping file (TOML); read back by analysis.data.mapping."""
    lines = ["# Column mapping for the IVUS study explorer (docs/mapping-example.toml).", ""]
    for section in ("columns", "units", "lesion_columns"):
        table = mapping.get(section) or {}
        if table:
            lines.append(f"[{section}]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in table.items()]
            lines.append("")
    for name, table in (mapping.get("codes") or {}).items():
        filled = {k: v for k, v in table.items() if v != ""}
        if filled:
            lines.append(f"[codes.{name}]")
            lines += [f"{_toml_value(k)} = {_toml_value(v)}" for k, v in filled.items()]
            lines.append("")
    return "\n".join(lines)


__all__ = ["ColumnProfile", "profile_column", "profile_frame", "suggest_mapping", "to_toml"]
