"""The data dictionary: one declarative entry per column.

Everything that shows or checks a column (validator, filter panel, Table 1 rows,
axis labels, tooltips, download headers, the dictionary page) reads it from here.
Adding a variable is adding one ``Variable`` entry.

Dtypes, as held in the validated frame:

* ``str``      -> pandas ``str`` (identifiers)
* ``float``    -> ``float64`` (missing = NaN)
* ``int``      -> ``Int64`` (nullable integer)
* ``bool``     -> ``boolean`` (nullable; True / False / <NA>)
* ``category`` -> ``pd.CategoricalDtype(levels, ordered=...)``

Ranges: ``valid_range`` is a hard limit (a value outside it is an error: it cannot
be a real measurement or is a unit mistake); ``plausible_range`` is softer (outside
it the value is kept and reported as a warning).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

Role = Literal[
    "identifier",
    "design",
    "group",
    "outcome",
    "baseline_ivus",
    "followup_ivus",
    "risk_factor",
    "laboratory",
    "blood_pressure",
    "medication",
    "derived",
]
Dtype = Literal["str", "float", "int", "bool", "category"]

#: The comparison of the study: spotty calcification versus no calcification.
GROUP = "calcification"
GROUP_LEVELS = ("none", "spotty")
#: Level outside the comparison (calcium that is neither absent nor spotty).
OTHER_GROUP = "other"
#: Fixed display order and colour-blind-safe colours (Okabe-Ito) for the groups.
GROUP_COLORS = {"none": "#0072B2", "spotty": "#D55E00", "other": "#999999"}
GROUP_LABELS = {"none": "No calcification", "spotty": "Spotty calcification",
                "other": "Other calcification"}

#: Default on-treatment cut-points for "intensive" therapy (published usual cut-points).
DEFAULT_LDL_CUT = 70.0  # mg/dl
DEFAULT_SBP_CUT = 120.0  # mmHg

#: Label shown wherever the bundled simulated cohort appears.
SIMULATED_LABEL = "Simulated data calibrated to published summaries - not patient data"


@dataclass(frozen=True)
class Variable:
    """One column of the patient (or lesion) table."""

    name: str
    label: str
    dtype: Dtype
    role: Role
    description: str
    unit: str | None = None
    required: bool = False
    valid_range: tuple[float, float] | None = None
    plausible_range: tuple[float, float] | None = None
    #: Allowed values of a category; None for an open set whose values come from the data.
    levels: tuple[str, ...] | None = None
    ordered: bool = False
    skewed: bool = False
    derived: bool = False
    #: For an outcome: the baseline measurement it is adjusted for.
    baseline: str | None = None
    #: Shown as a row of Table 1.
    table1: bool = False
    #: Offered in the filter panel.
    filterable: bool = False
    #: Decimals a download keeps (numbers are rounded to them; None = as held).
    decimals: int | None = None

    @property
    def axis_label(self) -> str:
        """Label with unit, for axes and column headers: ``"LDL-C (mg/dl)"``."""
        return f"{self.label} ({self.unit})" if self.unit else self.label

    @property
    def is_numeric(self) -> bool:
        return self.dtype in ("float", "int")

    @property
    def is_binary(self) -> bool:
        return self.dtype == "bool"

    @property
    def is_categorical(self) -> bool:
        return self.dtype in ("bool", "category")

    def pandas_dtype(self):
        """The dtype this column has in a validated frame."""
        if self.dtype == "float":
            return "float64"
        if self.dtype == "int":
            return "Int64"
        if self.dtype == "bool":
            return "boolean"
        if self.dtype == "category":
            if self.levels is None:  # open set (e.g. trial): categories come from the data
                return "category"
            return pd.CategoricalDtype(list(self.levels), ordered=self.ordered)
        return "str"


V = Variable
_YN = dict(dtype="bool", table1=True, filterable=True)

PATIENT_VARIABLES: tuple[Variable, ...] = (
    # --- design -----------------------------------------------------------------
    V("patient_id", "Patient ID", "str", "identifier", "Unique patient identifier.",
      required=True),
    V("trial", "Trial", "category", "design",
      "Source trial of the pooled IVUS analysis; models adjust for it.",
      required=True, filterable=True),
    V("followup_months", "Follow-up", "float", "design",
      "Time between baseline and follow-up IVUS.", unit="months",
      valid_range=(1, 120), plausible_range=(6, 36), table1=True, decimals=1),
    # --- risk factors -------------------------------------------------------------
    V("age", "Age", "float", "risk_factor", "Age at baseline.", unit="years",
      valid_range=(0, 120), plausible_range=(18, 95), table1=True, filterable=True, decimals=1),
    V("sex", "Sex", "category", "risk_factor", "Sex.", levels=("female", "male"),
      table1=True, filterable=True),
    V("bmi", "BMI", "float", "risk_factor", "Body-mass index at baseline.", unit="kg/m²",
      valid_range=(8, 100), plausible_range=(15, 60), table1=True, filterable=True, decimals=1),
    V("diabetes", "Diabetes", role="risk_factor", description="History of diabetes mellitus.", **_YN),
    V("hypertension", "Hypertension", role="risk_factor", description="History of hypertension.", **_YN),
    V("current_smoker", "Current smoker", role="risk_factor", description="Smokes at baseline.", **_YN),
    V("prior_mi", "Prior MI", role="risk_factor", description="History of myocardial infarction.", **_YN),
    # --- laboratory (on-treatment unless named baseline) ----------------------------
    V("ldl_c_baseline", "Baseline LDL-C", "float", "laboratory",
      "LDL cholesterol before study therapy.", unit="mg/dl",
      valid_range=(1, 1000), plausible_range=(20, 400), table1=True, filterable=True, decimals=1),
    V("ldl_c", "LDL-C", "float", "laboratory", "On-treatment LDL cholesterol.",
      unit="mg/dl", valid_range=(1, 1000), plausible_range=(15, 300), table1=True,
      filterable=True, decimals=1),
    V("hdl_c", "HDL-C", "float", "laboratory", "On-treatment HDL cholesterol.",
      unit="mg/dl", valid_range=(1, 300), plausible_range=(10, 150), table1=True,
      filterable=True, decimals=1),
    V("triglycerides", "Triglycerides", "float", "laboratory", "On-treatment triglycerides.",
      unit="mg/dl", valid_range=(1, 10000), plausible_range=(20, 1500), skewed=True,
      table1=True, filterable=True, decimals=1),
    V("crp", "hs-CRP", "float", "laboratory", "On-treatment high-sensitivity C-reactive protein.",
      unit="mg/l", valid_range=(0, 500), plausible_range=(0, 100), skewed=True, table1=True,
      filterable=True, decimals=2),
    # --- blood pressure ----------------------------------------------------------------
    V("sbp", "Systolic BP", "float", "blood_pressure", "On-treatment systolic blood pressure.",
      unit="mmHg", valid_range=(40, 300), plausible_range=(80, 220), table1=True,
      filterable=True, decimals=1),
    V("dbp", "Diastolic BP", "float", "blood_pressure", "On-treatment diastolic blood pressure.",
      unit="mmHg", valid_range=(20, 200), plausible_range=(40, 130), table1=True,
      filterable=True, decimals=1),
    # --- medication --------------------------------------------------------------------
    V("statin", "Statin intensity", "category", "medication", "Statin therapy intensity.",
      levels=("none", "moderate", "high"), ordered=True, table1=True, filterable=True),
    V("beta_blocker", "Beta-blocker", role="medication", description="Beta-blocker use.", **_YN),
    V("ace_arb", "ACE-i / ARB", role="medication",
      description="ACE inhibitor or angiotensin-receptor blocker use.", **_YN),
    # --- IVUS ----------------------------------------------------------------------------
    V(GROUP, "Calcification", "category", "group",
      "Spotty = at least one deposit 1-4 mm long with arc < 90° and no other calcium; "
      "none = no calcium; other = any other calcium (outside the comparison).",
      levels=("none", "spotty", OTHER_GROUP), required=True),
    V("n_spotty", "Spotty deposits", "int", "baseline_ivus",
      "Number of spotty calcium deposits in the imaged segment.", unit="count",
      valid_range=(0, 200), plausible_range=(0, 20), table1=True, decimals=0),
    V("pav_baseline", "Baseline PAV", "float", "baseline_ivus",
      "Percent atheroma volume at baseline.", unit="%", required=True,
      valid_range=(0, 100), plausible_range=(5, 80), table1=True, decimals=2),
    V("pav_followup", "Follow-up PAV", "float", "followup_ivus",
      "Percent atheroma volume at follow-up.", unit="%", required=True,
      valid_range=(0, 100), plausible_range=(5, 80), decimals=2),
    V("tav_baseline", "Baseline TAV", "float", "baseline_ivus",
      "Total atheroma volume at baseline (normalised).", unit="mm³", required=True,
      valid_range=(0, 5000), plausible_range=(10, 800), table1=True, decimals=2),
    V("tav_followup", "Follow-up TAV", "float", "followup_ivus",
      "Total atheroma volume at follow-up (normalised).", unit="mm³", required=True,
      valid_range=(0, 5000), plausible_range=(10, 800), decimals=2),
    # --- derived: always computed (analysis/derive.py), never read from a file ----------
    V("delta_pav", "ΔPAV", "float", "outcome",
      "Change in percent atheroma volume, follow-up minus baseline.", unit="%",
      derived=True, baseline="pav_baseline", decimals=2),
    V("delta_tav", "ΔTAV", "float", "outcome",
      "Change in total atheroma volume, follow-up minus baseline.", unit="mm³",
      derived=True, baseline="tav_baseline", decimals=2),
    V("ldl_intensive", "Intensive LDL-C", "bool", "derived",
      "On-treatment LDL-C below the cut-point (70 mg/dl unless changed).", derived=True),
    V("sbp_intensive", "Intensive SBP", "bool", "derived",
      "On-treatment systolic BP below the cut-point (120 mmHg unless changed).", derived=True),
    V("regression", "Regression", "bool", "derived",
      "ΔPAV below zero (atheroma regressed).", derived=True),
)

LESION_VARIABLES: tuple[Variable, ...] = (
    V("patient_id", "Patient ID", "str", "identifier", "Patient the deposit belongs to.",
      required=True),
    V("arc_deg", "Calcium arc", "float", "baseline_ivus", "Arc of the calcium deposit.",
      unit="°", required=True, valid_range=(0, 360), decimals=1),
    V("length_mm", "Calcium length", "float", "baseline_ivus", "Length of the calcium deposit.",
      unit="mm", required=True, valid_range=(0, 200), decimals=2),
)

VARIABLES: dict[str, Variable] = {v.name: v for v in PATIENT_VARIABLES}
LESIONS: dict[str, Variable] = {v.name: v for v in LESION_VARIABLES}

#: Spotty deposit definition (Kataoka 2012): 1-4 mm long, arc < 90 degrees.
SPOTTY_LENGTH_MM = (1.0, 4.0)
SPOTTY_MAX_ARC_DEG = 90.0

#: Default ANCOVA adjustment (besides the outcome's own baseline value).
DEFAULT_COVARIATES = ("trial", "age", "sex", "diabetes", "prior_mi", "hdl_c")


def get(name: str) -> Variable:
    """The dictionary entry for ``name``; a clear error if there is none."""
    try:
        return VARIABLES[name]
    except KeyError:
        raise KeyError(f"'{name}' is not a variable of the data dictionary") from None


def by_role(*roles: str) -> list[Variable]:
    """Entries with any of the given roles, in dictionary order."""
    return [v for v in PATIENT_VARIABLES if v.role in roles]


def outcomes() -> list[Variable]:
    return by_role("outcome")


def file_columns() -> list[Variable]:
    """Columns a data file may supply (everything but the derived ones)."""
    return [v for v in PATIENT_VARIABLES if not v.derived]


def required_columns() -> list[str]:
    return [v.name for v in PATIENT_VARIABLES if v.required]


def default_covariates(outcome: str) -> tuple[str, ...]:
    """The default adjustment set for an outcome: its baseline value plus the study set."""
    base = get(outcome).baseline
    return ((base,) if base else ()) + DEFAULT_COVARIATES


def dictionary_frame() -> pd.DataFrame:
    """The dictionary as a table (for the Data page and for downloads)."""
    rows = []
    for v in PATIENT_VARIABLES:
        rows.append({
            "name": v.name, "label": v.label, "unit": v.unit or "", "type": v.dtype,
            "role": v.role, "required": v.required, "derived": v.derived,
            "valid range": "" if v.valid_range is None else f"{v.valid_range[0]:g} to {v.valid_range[1]:g}",
            "allowed values": "" if v.levels is None else ", ".join(v.levels),
            "description": v.description,
        })
    return pd.DataFrame(rows)
