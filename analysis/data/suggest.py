"""A suggested mapping for a file never seen before: columns, codes, units, header row.

For each dictionary variable (:mod:`analysis.data.schema`) the file column it most
likely comes from is chosen by name similarity (with common synonyms: SUBJID, DM,
TG, ...) checked against the column's values (numbers inside the valid range for a
numeric variable, few distinct codes for a yes/no or category variable, unique
values for the patient ID). Categorical columns get a code table pre-filled from the
values found; lipids get a unit from their value range (mg/dl vs mmol/L). Each file
column is used once. The result is written as TOML that the mapping reader loads
back (``python -m analysis.validate FILE --suggest-mapping > mapping.toml``); the
browser mapping wizard will use the same object.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.data.cells import as_text, text_to_float
from analysis.data.readers import RawTable
from analysis.data.schema import VARIABLES, Variable
from analysis.data.validation import FALSE_TOKENS, LEVEL_SYNONYMS, TRUE_TOKENS

#: Rows looked at for the value profile (the first ones).
PROFILE_ROWS = 20_000
#: Smallest name score for a match.
MIN_SCORE = 0.55
#: Most codes written for one column.
MAX_CODES = 30
#: Other names often used for dictionary variables (normalised: lower case, alphanumerics).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "patient_id": ("id", "subjid", "subject", "subjectid", "patid", "patno", "pid", "usubjid"),
    "trial": ("study", "studyid", "trialname", "protocol"),
    "followup_months": ("fumonths", "followup", "fu", "months"),
    "age": ("ageyears", "ageyrs", "agebl"),
    "sex": ("gender", "sexcd"),
    "bmi": ("bodymassindex",),
    "diabetes": ("dm", "diab", "diabetic", "diabetesmellitus"),
    "hypertension": ("htn", "hypertens"),
    "current_smoker": ("smoker", "smoking", "smoke", "cursmoke"),
    "prior_mi": ("mi", "priormi", "prevmi", "historymi", "myocardialinfarction"),
    "ldl_c_baseline": ("ldlbl", "ldlbaseline", "ldl0", "baselineldl"),
    "ldl_c": ("ldl", "ldlontx", "ldlontreatment", "ldlc"),
    "hdl_c": ("hdl", "hdlontx", "hdlc"),
    "triglycerides": ("tg", "trig", "tgontx", "triglyceride"),
    "crp": ("hscrp", "crpontx"),
    "sbp": ("systolic", "sysbp", "sbpontx"),
    "dbp": ("diastolic", "diabp", "dbpontx"),
    "statin": ("statinintensity", "statindose"),
    "beta_blocker": ("bb", "betablocker", "betablock"),
    "ace_arb": ("acei", "arb", "aceiarb", "aceinhibitor"),
    "calcification": ("calc", "calcgroup", "calcium", "spotty", "group"),
    "n_spotty": ("nspotty", "spottycount", "nspots"),
    "pav_baseline": ("pavbl", "pav0", "baselinepav", "pavbase"),
    "pav_followup": ("pavfu", "pav1", "followuppav", "pavfollow"),
    "tav_baseline": ("tavbl", "tav0", "baselinetav", "tavbase"),
    "tav_followup": ("tavfu", "tav1", "followuptav", "tavfollow"),
}
#: Lipids: a median below this (in the file) suggests mmol/L.
MMOL_BELOW = {"ldl_c": 15.0, "ldl_c_baseline": 15.0, "hdl_c": 8.0, "triglycerides": 20.0}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def name_score(var: str, column: str) -> float:
    """Similarity of a file column's name to a dictionary name or one of its synonyms (0-1)."""
    col = _norm(column)
    names = (_norm(var),) + SYNONYMS.get(var, ())
    if col in names:
        return 1.0
    return max(difflib.SequenceMatcher(None, col, n).ratio() for n in names)


@dataclass(frozen=True)
class Profile:
    """What a column's values look like."""

    n: int
    distinct: tuple[str, ...]
    n_distinct: int
    numeric_share: float
    median: float | None
    unique: bool


def profile(raw: pd.Series) -> Profile:
    """The value profile of the first :data:`PROFILE_ROWS` cells of a raw column."""
    text = as_text(raw.iloc[:PROFILE_ROWS].reset_index(drop=True)).dropna()
    nums = text_to_float(text)
    uniq = text.unique()
    return Profile(n=len(text), distinct=tuple(sorted(map(str, uniq[:MAX_CODES + 1]))),
                   n_distinct=len(uniq), numeric_share=float(nums.notna().mean()) if len(text) else 0.0,
                   median=float(nums.median()) if nums.notna().any() else None,
                   unique=len(uniq) == len(text) and len(text) > 0)


def fits(var: Variable, prof: Profile) -> bool:
    """Whether the values could be ``var``: the range, the number of codes, uniqueness."""
    if prof.n == 0:
        return False
    if var.role == "identifier":
        return prof.unique
    if var.is_numeric:
        if prof.numeric_share < 0.95 or prof.median is None:
            return False
        lo, hi = var.valid_range or (-np.inf, np.inf)
        return lo <= prof.median <= hi or var.name in MMOL_BELOW
    if var.dtype == "bool":
        return prof.n_distinct <= 2
    if var.levels is not None:
        return prof.n_distinct <= len(var.levels) + 1
    return prof.n_distinct <= max(50, prof.n // 10)


@dataclass
class MappingSuggestion:
    """A proposed mapping for one file; ``to_toml()`` writes it, ``to_dict()`` parses back.

    Attributes
    ----------
    columns : dict
        Dictionary name -> file column.
    scores : dict
        Dictionary name -> name similarity of the chosen column (0-1).
    codes : dict
        Dictionary name -> {code found in the file: dictionary value}.
    guessed : dict
        Dictionary name -> codes whose value is a guess to check (not a known spelling).
    units : dict
        Dictionary name -> unit suggested from the value range.
    header_row : int
        Row of the header in the file.
    unmatched : list
        Dictionary variables with no column found.
    unused : list
        File columns not used.
    """

    columns: dict[str, str] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)
    codes: dict[str, dict[str, object]] = field(default_factory=dict)
    guessed: dict[str, list[str]] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    header_row: int = 1
    unmatched: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The mapping as the nested dicts the mapping reader accepts."""
        out: dict = {}
        if self.header_row > 1:
            out["header_row"] = self.header_row
        out["columns"] = dict(self.columns)
        if self.codes:
            out["codes"] = {k: dict(v) for k, v in self.codes.items()}
        if self.units:
            out["units"] = dict(self.units)
        return out

    def to_toml(self) -> str:
        """The suggestion as a commented TOML mapping file."""
        q = json.dumps  # a JSON string is a valid TOML basic string
        lines = ["# Suggested mapping: check every line, then use it with",
                 "#   python -m analysis.validate FILE --mapping mapping.toml",
                 "# See docs/mapping-example.toml for the format.", ""]
        if self.header_row > 1:
            lines += [f"header_row = {self.header_row}", ""]
        lines.append("[columns]")
        for name, col in self.columns.items():
            sure = "" if self.scores.get(name, 0) >= 1.0 else \
                f"  # name match {self.scores.get(name, 0):.2f}: check"
            lines.append(f"{name} = {q(col)}{sure}")
        for name in self.unmatched:
            lines.append(f"# {name} = \"...\"  # not found in the file")
        if self.unused:
            lines.append("# not used: " + ", ".join(self.unused))
        for name, codes in self.codes.items():
            lines += ["", f"[codes.{name}]"]
            for code, value in codes.items():
                val = ("true" if value else "false") if isinstance(value, bool) else q(value)
                note = "  # guessed: check your codebook" if code in self.guessed.get(name, []) else ""
                lines.append(f"{q(code)} = {val}{note}")
        if self.units:
            lines += ["", "[units]  # from the range of the values"]
            lines += [f"{name} = {q(unit)}" for name, unit in self.units.items()]
        return "\n".join(lines) + "\n"


def _assign(frame: pd.DataFrame) -> tuple[dict[str, str], dict[str, float], dict[str, Profile]]:
    """Greedy one-to-one assignment of file columns to variables, best scores first."""
    profiles = {c: profile(frame[c]) for c in frame.columns}
    cands = []
    for var in VARIABLES.values():
        if var.derived:
            continue
        for col in frame.columns:
            s = name_score(var.name, str(col))
            if s >= MIN_SCORE and fits(var, profiles[col]):
                cands.append((s, var.name, col))
    cands.sort(key=lambda t: -t[0])
    columns: dict[str, str] = {}
    scores: dict[str, float] = {}
    used: set[str] = set()
    for s, name, col in cands:
        if name in columns or col in used:
            continue
        columns[name], scores[name] = col, round(s, 2)
        used.add(col)
    order = {n: i for i, n in enumerate(VARIABLES)}
    columns = dict(sorted(columns.items(), key=lambda kv: order[kv[0]]))
    return columns, scores, profiles


def _code_table(var: Variable, prof: Profile) -> tuple[dict[str, object], list[str]]:
    """Codes found -> dictionary values; known spellings first, the rest guessed in order."""
    table: dict[str, object] = {}
    unknown: list[str] = []
    if var.dtype == "bool":
        for code in prof.distinct:
            key = code.lower()
            if key in TRUE_TOKENS or key in FALSE_TOKENS:
                table[code] = key in TRUE_TOKENS
            else:
                unknown.append(code)
        falses = [c for c in unknown if c.lower().startswith(("n", "0", "-"))]
        for code in unknown:
            table[code] = code not in falses
        return table, unknown
    if var.levels is None:
        return {}, []
    known = {lv.lower(): lv for lv in var.levels} | LEVEL_SYNONYMS.get(var.name, {})
    if var.name == "sex":
        known |= {"1": "male", "2": "female"}  # ISO 5218
    for code in prof.distinct:
        if code.lower() in known:
            table[code] = known[code.lower()]
        else:
            unknown.append(code)
    free = [lv for lv in var.levels if lv not in table.values()]
    for code, level in zip(sorted(unknown, key=_code_order), free, strict=False):
        table[code] = level
    return table, [c for c in unknown if c in table]


def _code_order(code: str) -> tuple[int, float, str]:
    try:
        return (0, float(code), code)
    except ValueError:
        return (1, 0.0, code)


def suggest_mapping(raw: RawTable) -> MappingSuggestion:
    """Suggest a mapping for the raw cells of a file (see the module docstring)."""
    frame = raw.frame
    columns, scores, profiles = _assign(frame)
    out = MappingSuggestion(columns=columns, scores=scores, header_row=raw.header_row)
    for name, col in columns.items():
        var, prof = VARIABLES[name], profiles[col]
        if var.is_categorical and prof.n_distinct <= MAX_CODES:
            table, guessed = _code_table(var, prof)
            if table and any(str(k) != str(v) for k, v in table.items()):
                out.codes[name] = table
                if guessed:
                    out.guessed[name] = guessed
        if name in MMOL_BELOW and prof.median is not None and prof.median < MMOL_BELOW[name]:
            out.units[name] = "mmol/L"
    out.unmatched = [v.name for v in VARIABLES.values() if not v.derived and v.name not in columns]
    out.unused = [str(c) for c in frame.columns if c not in set(columns.values())]
    return out
