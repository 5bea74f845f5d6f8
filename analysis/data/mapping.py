"""Column mapping: how an investigator's file names and codes its columns.

A mapping is a small TOML file (see ``docs/mapping-example.toml``)::

    [columns]            # dictionary name = name in your file
    patient_id = "SUBJID"
    [codes.sex]          # your code = dictionary level
    "1" = "male"
    [units]
    ldl_c = "mmol/L"     # converted to mg/dl
    [lesion_columns]     # for the optional lesion file
    patient_id = "SUBJID"

Columns whose names already are dictionary names (any case) need no entry; common
yes/no codes (1/0, true/false, yes/no, y/n) and category levels in any case need no
``[codes]`` entry either.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from analysis.data.schema import LESIONS, VARIABLES, Variable
from analysis.data.validation import FALSE_TOKENS, TRUE_TOKENS, Issue, did_you_mean
from analysis.errors import DataLoadError, MappingError

#: Unit conversions to the dictionary unit: column -> {unit (lower case): factor}.
#: Cholesterol mmol/L -> mg/dl x 38.67; triglycerides mmol/L -> mg/dl x 88.57;
#: CRP mg/dl -> mg/l x 10.
CHOLESTEROL_MMOL_TO_MGDL = 38.67
TRIGLYCERIDES_MMOL_TO_MGDL = 88.57
UNIT_FACTORS: dict[str, dict[str, float]] = {
    "ldl_c": {"mg/dl": 1.0, "mmol/l": CHOLESTEROL_MMOL_TO_MGDL},
    "ldl_c_baseline": {"mg/dl": 1.0, "mmol/l": CHOLESTEROL_MMOL_TO_MGDL},
    "hdl_c": {"mg/dl": 1.0, "mmol/l": CHOLESTEROL_MMOL_TO_MGDL},
    "triglycerides": {"mg/dl": 1.0, "mmol/l": TRIGLYCERIDES_MMOL_TO_MGDL},
    "crp": {"mg/l": 1.0, "mg/dl": 10.0},
}
SECTIONS = ("columns", "codes", "units", "lesion_columns")


class MappingFileError(DataLoadError, MappingError):
    """A mapping file is malformed; both a :class:`MappingError` and a :class:`DataLoadError`."""


@dataclass(frozen=True)
class ColumnMapping:
    """A parsed, checked mapping.

    Attributes
    ----------
    columns : dict
        Dictionary name -> column name in the patient file.
    codes : dict
        Dictionary name -> {code in the file: dictionary level or bool}.
    units : dict
        Dictionary name -> unit the file uses (lower case), when not the dictionary unit.
    lesion_columns : dict
        Lesion dictionary name -> column name in the lesion file.
    source : str or None
        Path of the mapping file, if it came from one.
    """

    columns: dict[str, str] = field(default_factory=dict)
    codes: dict[str, dict[str, object]] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    lesion_columns: dict[str, str] = field(default_factory=dict)
    source: str | None = None

    def factor(self, name: str) -> float:
        """Multiplier from the file's unit to the dictionary unit for ``name`` (1.0 if none)."""
        unit = self.units.get(name)
        return 1.0 if unit is None else allowed_units(name)[unit]

    def to_dict(self) -> dict[str, dict]:
        """The mapping as plain dicts (TOML-shaped)."""
        return {"columns": dict(self.columns), "codes": {k: dict(v) for k, v in self.codes.items()},
                "units": dict(self.units), "lesion_columns": dict(self.lesion_columns)}


def allowed_units(name: str) -> dict[str, float]:
    """Units accepted for ``name`` (lower case) with their factor to the dictionary unit."""
    if name in UNIT_FACTORS:
        return UNIT_FACTORS[name]
    unit = VARIABLES[name].unit if name in VARIABLES else None
    return {unit.lower(): 1.0} if unit else {}


def _fail(source: str | None, message: str) -> MappingFileError:
    where = f"mapping file {source}: " if source else "mapping: "
    return MappingFileError(where + message)


def _check_name(name: str, section: str, variables: Mapping[str, Variable],
                source: str | None) -> Variable:
    if name not in variables:
        raise _fail(source, f"[{section}] names '{name}', which is not a column of the data "
                            f"dictionary{did_you_mean(name, variables) or '.'} "
                            "Use the dictionary names on the left-hand side.")
    var = variables[name]
    if var.derived:
        raise _fail(source, f"[{section}] names '{name}', which is always computed from "
                            "other columns; remove it from the mapping.")
    return var


def _check_columns(table: object, section: str, variables: Mapping[str, Variable],
                   source: str | None) -> dict[str, str]:
    if not isinstance(table, dict):
        raise _fail(source, f"[{section}] must be a table of name = \"file column\" lines.")
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name, col in table.items():
        _check_name(name, section, variables, source)
        if not isinstance(col, str) or not col.strip():
            raise _fail(source, f"[{section}] {name} must be a non-empty column name in quotes.")
        if col in seen:
            raise _fail(source, f"[{section}] maps both '{seen[col]}' and '{name}' to file "
                                f"column '{col}'; each file column can fill one dictionary column.")
        seen[col] = name
        out[name] = col
    return out


def _check_codes(table: object, source: str | None) -> dict[str, dict[str, object]]:
    if not isinstance(table, dict):
        raise _fail(source, "[codes] must hold one table per column, e.g. [codes.sex].")
    out: dict[str, dict[str, object]] = {}
    for name, codes in table.items():
        var = _check_name(name, f"codes.{name}", VARIABLES, source)
        if var.dtype not in ("bool", "category"):
            raise _fail(source, f"[codes.{name}]: '{name}' is a {var.dtype} column; codes "
                                "apply to yes/no and category columns only.")
        if not isinstance(codes, dict):
            raise _fail(source, f"[codes.{name}] must be a table of \"code\" = value lines.")
        parsed: dict[str, object] = {}
        for code, value in codes.items():
            if var.dtype == "bool":
                parsed[code] = _bool_value(name, code, value, source)
            else:
                if not isinstance(value, str):
                    raise _fail(source, f"[codes.{name}] \"{code}\" must map to a level in quotes.")
                if var.levels is not None and value.lower() not in {lv.lower() for lv in var.levels}:
                    raise _fail(source, f"[codes.{name}] \"{code}\" = \"{value}\": '{value}' is "
                                        f"not a level of '{name}'; allowed: {', '.join(var.levels)}.")
                parsed[code] = value
        out[name] = parsed
    return out


def _bool_value(name: str, code: str, value: object, source: str | None) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str | int) and str(value).strip().lower() in TRUE_TOKENS | FALSE_TOKENS:
        return str(value).strip().lower() in TRUE_TOKENS
    raise _fail(source, f"[codes.{name}] \"{code}\" must map to true or false.")


def _check_units(table: object, source: str | None) -> dict[str, str]:
    if not isinstance(table, dict):
        raise _fail(source, "[units] must be a table of name = \"unit\" lines.")
    out: dict[str, str] = {}
    for name, unit in table.items():
        _check_name(name, "units", VARIABLES, source)
        allowed = allowed_units(name)
        key = str(unit).strip().lower()
        if key not in allowed:
            shown = ", ".join(allowed) if allowed else "none (it has no unit)"
            raise _fail(source, f"[units] {name} = \"{unit}\" is not a supported unit for "
                                f"'{name}'; allowed units: {shown}.")
        if allowed[key] != 1.0:
            out[name] = key
    return out


def parse_mapping(data: Mapping[str, object], source: str | None = None) -> ColumnMapping:
    """Check a mapping given as nested dicts (as parsed from TOML).

    Raises
    ------
    MappingFileError
        On an unknown section, dictionary column, level or unit (message names it and
        what is allowed, with near-miss suggestions).
    """
    if not isinstance(data, Mapping):
        raise _fail(source, "a mapping must be a table with [columns], [codes], [units].")
    for key in data:
        if key not in SECTIONS:
            raise _fail(source, f"unknown section [{key}]{did_you_mean(key, SECTIONS) or '.'} "
                                f"Sections: {', '.join(f'[{s}]' for s in SECTIONS)}.")
    return ColumnMapping(
        columns=_check_columns(data.get("columns", {}), "columns", VARIABLES, source),
        codes=_check_codes(data.get("codes", {}), source),
        units=_check_units(data.get("units", {}), source),
        lesion_columns=_check_columns(data.get("lesion_columns", {}), "lesion_columns",
                                      LESIONS, source),
        source=source,
    )


def read_mapping(path: str | Path) -> ColumnMapping:
    """Read and check a TOML mapping file."""
    path = Path(path)
    if not path.is_file():
        raise MappingFileError(f"mapping file {path} not found; check the path.")
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise MappingFileError(f"mapping file {path} is not valid TOML: {err}. "
                               "See docs/mapping-example.toml for the format.") from None
    except UnicodeDecodeError:
        raise MappingFileError(f"mapping file {path} is not UTF-8 text; save it as UTF-8.") from None
    return parse_mapping(data, source=str(path))


def as_mapping(mapping: ColumnMapping | Mapping | str | Path | None) -> ColumnMapping:
    """A :class:`ColumnMapping` from a mapping object, dict, TOML path, or ``None`` (empty)."""
    if mapping is None:
        return ColumnMapping()
    if isinstance(mapping, ColumnMapping):
        return mapping
    if isinstance(mapping, str | Path):
        return read_mapping(mapping)
    return parse_mapping(mapping)


@dataclass(frozen=True)
class ColumnResolution:
    """How the file's columns were matched to the dictionary."""

    rename: dict[str, str]        # file column -> dictionary name
    ignored: tuple[str, ...]      # file columns not used
    issues: tuple[Issue, ...]


def resolve_columns(file_columns: Iterable[str], explicit: Mapping[str, str],
                    variables: Mapping[str, Variable], *, what: str = "file",
                    section: str = "columns") -> ColumnResolution:
    """Match file columns to dictionary names: explicit mapping first, then same name (any case).

    A mapped file column that is not in the file is an error (with near-miss
    suggestions); a derived column in the file is ignored with a warning; other
    unknown columns are ignored and listed as info.
    """
    cols = [str(c) for c in file_columns]
    issues: list[Issue] = []
    rename: dict[str, str] = {}
    for name, col in explicit.items():
        if col in cols:
            rename[col] = name
        else:
            stripped = [c for c in cols if c.strip().lower() == col.strip().lower()]
            if len(stripped) == 1:
                rename[stripped[0]] = name
                continue
            issues.append(Issue(
                "error", "mapped_column_absent", name,
                f"the mapping's [{section}] maps '{name}' to '{col}', which is not a column of "
                f"the {what}{did_you_mean(col, cols) or '.'} Fix the name in the mapping.", (), 0))
    targeted = set(explicit)
    derived_found: list[str] = []
    ignored: list[str] = []
    by_name: dict[str, list[str]] = {}
    for col in cols:
        if col in rename:
            continue
        key = col.strip().lower()
        if key in variables and variables[key].derived:
            derived_found.append(col)
            ignored.append(col)
        elif key in variables and key not in targeted:
            by_name.setdefault(key, []).append(col)
        elif key in variables:
            ignored.append(col)
            issues.append(Issue(
                "info", "replaced_by_mapping", key,
                f"column '{col}' of the {what} is not used: the mapping's [{section}] takes "
                f"'{key}' from '{explicit[key]}'.", (), 0))
        else:
            ignored.append(col)
    for key, found in by_name.items():
        if len(found) > 1:
            issues.append(Issue(
                "error", "ambiguous_column", key,
                f"the {what} has {len(found)} columns that could be '{key}': "
                f"{', '.join(repr(c) for c in found)}. Rename one, or choose one in [{section}].",
                (), len(found)))
        else:
            rename[found[0]] = key
    for col in derived_found:
        issues.append(Issue(
            "warning", "derived_in_file", col.strip().lower(),
            f"derived column '{col}' in the {what} is ignored and recomputed from its inputs.",
            (), 0))
    other = [c for c in ignored if c not in derived_found
             and c.strip().lower() not in variables]
    if other:
        issues.append(Issue(
            "info", "extra_columns", None,
            f"{len(other)} column(s) of the {what} are not in the data dictionary and are not "
            f"used: {', '.join(repr(c) for c in other[:20])}"
            f"{' ...' if len(other) > 20 else ''}. Map them in [{section}] if they should be.",
            (), len(other)))
    return ColumnResolution(rename, tuple(ignored), tuple(issues))
