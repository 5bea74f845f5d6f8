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

from analysis.data.numbers import NumberFormat
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
SECTIONS = ("columns", "codes", "units", "numbers", "lesion_columns")
#: Top-level options (before any section).
OPTIONS = ("header_row", "multiline_fields", "sheet")
DECIMAL_MARKS = (".", ",")
THOUSANDS_MARKS = ("", ",", ".", " ", "'")


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
    numbers, number_format, header_row, multiline_fields, sheet
        How the file writes numbers and where its header is (see the attributes).
    source : str or None
        Path of the mapping file, if it came from one.
    """

    columns: dict[str, str] = field(default_factory=dict)
    codes: dict[str, dict[str, object]] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    lesion_columns: dict[str, str] = field(default_factory=dict)
    #: Per-column number formats ([numbers.NAME]) and the file-wide one ([numbers]).
    numbers: dict[str, NumberFormat] = field(default_factory=dict)
    number_format: NumberFormat | None = None
    #: Line (text) or row (Excel) of the header, 1-based; None: the first.
    header_row: int | None = None
    #: Accept quoted text fields that hold line breaks.
    multiline_fields: bool = False
    #: Excel sheet to read (the --sheet option wins).
    sheet: str | None = None
    source: str | None = None

    def number_format_of(self, name: str) -> NumberFormat | None:
        """The declared number format of ``name`` (its own, else the file-wide one)."""
        return self.numbers.get(name, self.number_format)

    def factor(self, name: str) -> float:
        """Multiplier from the file's unit to the dictionary unit for ``name`` (1.0 if none)."""
        unit = self.units.get(name)
        return 1.0 if unit is None else allowed_units(name)[unit]

    def to_dict(self) -> dict[str, dict]:
        """The mapping as plain dicts (TOML-shaped)."""
        out: dict = {}
        for key in ("header_row", "sheet"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.multiline_fields:
            out["multiline_fields"] = True
        out |= {"columns": dict(self.columns), "codes": {k: dict(v) for k, v in self.codes.items()},
                "units": dict(self.units), "lesion_columns": dict(self.lesion_columns)}
        numbers: dict = {}
        if self.number_format is not None:
            numbers |= {"decimal": self.number_format.decimal,
                        "thousands": self.number_format.thousands}
        for name, fmt in self.numbers.items():
            numbers[name] = {"decimal": fmt.decimal, "thousands": fmt.thousands}
        if numbers:
            out["numbers"] = numbers
        return out


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


def _each(errs: list[str], items, check) -> None:
    """Run ``check(key, value)`` for every item; a problem is noted and the item skipped."""
    for key, value in items:
        try:
            check(key, value)
        except MappingFileError as err:
            errs.append(str(err))


def _check_columns(table: object, section: str, variables: Mapping[str, Variable],
                   source: str | None, errs: list[str]) -> dict[str, str]:
    if not isinstance(table, dict):
        errs.append(str(_fail(source, f"[{section}] must be a table of name = \"file column\" lines.")))
        return {}
    out: dict[str, str] = {}
    seen: dict[str, str] = {}

    def check(name: str, col: object) -> None:
        _check_name(name, section, variables, source)
        if not isinstance(col, str) or not col.strip():
            raise _fail(source, f"[{section}] {name} must be a non-empty column name in quotes.")
        if col in seen:
            raise _fail(source, f"[{section}] maps both '{seen[col]}' and '{name}' to file "
                                f"column '{col}'; each file column can fill one dictionary column.")
        seen[col] = name
        out[name] = col

    _each(errs, table.items(), check)
    return out


def _check_codes(table: object, source: str | None, errs: list[str]) -> dict[str, dict[str, object]]:
    if not isinstance(table, dict):
        errs.append(str(_fail(source, "[codes] must hold one table per column, e.g. [codes.sex].")))
        return {}
    out: dict[str, dict[str, object]] = {}

    def check_column(name: str, codes: object) -> None:
        var = _check_name(name, f"codes.{name}", VARIABLES, source)
        if var.dtype not in ("bool", "category"):
            raise _fail(source, f"[codes.{name}]: '{name}' is a {var.dtype} column; codes "
                                "apply to yes/no and category columns only.")
        if not isinstance(codes, dict):
            raise _fail(source, f"[codes.{name}] must be a table of \"code\" = value lines.")
        parsed: dict[str, object] = {}

        def check_code(code: str, value: object) -> None:
            if var.dtype == "bool":
                parsed[code] = _bool_value(name, code, value, source)
                return
            if not isinstance(value, str):
                raise _fail(source, f"[codes.{name}] \"{code}\" must map to a level in quotes.")
            if var.levels is not None and value.lower() not in {lv.lower() for lv in var.levels}:
                raise _fail(source, f"[codes.{name}] \"{code}\" = \"{value}\": '{value}' is "
                                    f"not a level of '{name}'; allowed: {', '.join(var.levels)}.")
            parsed[code] = value

        _each(errs, codes.items(), check_code)
        out[name] = parsed

    _each(errs, table.items(), check_column)
    return out


def _bool_value(name: str, code: str, value: object, source: str | None) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str | int) and str(value).strip().lower() in TRUE_TOKENS | FALSE_TOKENS:
        return str(value).strip().lower() in TRUE_TOKENS
    raise _fail(source, f"[codes.{name}] \"{code}\" must map to true or false.")


def _check_units(table: object, source: str | None, errs: list[str]) -> dict[str, str]:
    if not isinstance(table, dict):
        errs.append(str(_fail(source, "[units] must be a table of name = \"unit\" lines.")))
        return {}
    out: dict[str, str] = {}

    def check(name: str, unit: object) -> None:
        _check_name(name, "units", VARIABLES, source)
        allowed = allowed_units(name)
        key = str(unit).strip().lower()
        if key not in allowed:
            shown = ", ".join(allowed) if allowed else "none (it has no unit)"
            raise _fail(source, f"[units] {name} = \"{unit}\" is not a supported unit for "
                                f"'{name}'; allowed units: {shown}.")
        if allowed[key] != 1.0:
            out[name] = key

    _each(errs, table.items(), check)
    return out


def _number_format(where: str, table: Mapping, source: str | None) -> NumberFormat:
    unknown = [k for k in table if k not in ("decimal", "thousands")]
    if unknown:
        raise _fail(source, f"[{where}] has unknown key '{unknown[0]}'; use decimal = \",\" "
                            "or \".\" and thousands = \",\", \".\", \" \", \"'\" or \"\".")
    dec = table.get("decimal", ".")
    thou = table.get("thousands", "." if dec == "," else "")
    if dec not in DECIMAL_MARKS or thou not in THOUSANDS_MARKS or dec == thou:
        raise _fail(source, f"[{where}] decimal = {dec!r}, thousands = {thou!r} is not a number "
                            "format: decimal is \".\" or \",\"; thousands is \",\", \".\", "
                            "\" \", \"'\" or \"\" (none), and differs from decimal.")
    return NumberFormat(dec, thou)


def _check_numbers(table: object, source: str | None, errs: list[str]
                   ) -> tuple[NumberFormat | None, dict[str, NumberFormat]]:
    if not isinstance(table, dict):
        errs.append(str(_fail(source, "[numbers] must be a table, e.g. decimal = \",\".")))
        return None, {}
    whole = {k: v for k, v in table.items() if not isinstance(v, dict)}
    file_fmt = None
    if whole:
        try:
            file_fmt = _number_format("numbers", whole, source)
        except MappingFileError as err:
            errs.append(str(err))
    per: dict[str, NumberFormat] = {}

    def check(name: str, sub: object) -> None:
        var = _check_name(name, f"numbers.{name}", VARIABLES, source)
        if not var.is_numeric:
            raise _fail(source, f"[numbers.{name}]: '{name}' is not a numeric column.")
        per[name] = _number_format(f"numbers.{name}", sub, source)

    _each(errs, [(k, v) for k, v in table.items() if isinstance(v, dict)], check)
    return file_fmt, per


def _check_options(data: Mapping, source: str | None, errs: list[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    hr = data.get("header_row")
    if hr is not None:
        if isinstance(hr, bool) or not isinstance(hr, int) or not 1 <= hr <= 1000:
            errs.append(str(_fail(source, f"header_row = {hr!r} must be a whole number from 1 "
                                          "(the first row) to 1000.")))
        else:
            out["header_row"] = hr
    ml = data.get("multiline_fields")
    if ml is not None:
        if not isinstance(ml, bool):
            errs.append(str(_fail(source, "multiline_fields must be true or false.")))
        else:
            out["multiline_fields"] = ml
    sheet = data.get("sheet")
    if sheet is not None:
        if not isinstance(sheet, str) or not sheet:
            errs.append(str(_fail(source, "sheet must be a sheet name in quotes.")))
        else:
            out["sheet"] = sheet
    return out


def mapping_and_problems(data: Mapping[str, object], source: str | None = None
                         ) -> tuple[ColumnMapping, list[str]]:
    """Check a mapping given as nested dicts; every problem is collected, none stops the rest.

    Returns the mapping made of the entries that are correct, and one message per
    problem (each names the section and entry and what is allowed).
    """
    errs: list[str] = []
    if not isinstance(data, Mapping):
        return ColumnMapping(source=source), [str(_fail(
            source, "a mapping must be a table with [columns], [codes], [units]."))]
    for key in data:
        if key not in SECTIONS and key not in OPTIONS:
            errs.append(str(_fail(source, f"unknown section [{key}]"
                                          f"{did_you_mean(key, SECTIONS + OPTIONS) or '.'} "
                                          f"Sections: {', '.join(f'[{s}]' for s in SECTIONS)}; "
                                          f"options: {', '.join(OPTIONS)}.")))
    file_fmt, per_col = _check_numbers(data.get("numbers", {}), source, errs)
    mapping = ColumnMapping(
        columns=_check_columns(data.get("columns", {}), "columns", VARIABLES, source, errs),
        codes=_check_codes(data.get("codes", {}), source, errs),
        units=_check_units(data.get("units", {}), source, errs),
        lesion_columns=_check_columns(data.get("lesion_columns", {}), "lesion_columns",
                                      LESIONS, source, errs),
        numbers=per_col, number_format=file_fmt, source=source,
        **_check_options(data, source, errs))
    return mapping, errs


def parse_mapping(data: Mapping[str, object], source: str | None = None) -> ColumnMapping:
    """Check a mapping given as nested dicts (as parsed from TOML).

    Raises
    ------
    MappingFileError
        Listing every problem: unknown section, dictionary column, level, unit or
        option (each message names it and what is allowed, with near-miss suggestions).
    """
    mapping, errs = mapping_and_problems(data, source)
    if errs:
        raise MappingFileError("\n".join(errs), report=_report(errs))
    return mapping


def _report(errs: list[str]):
    from analysis.data.report import ValidationReport

    return ValidationReport.of([Issue("error", "mapping", None, e) for e in errs])


def load_toml(path: str | Path) -> dict:
    """The parsed TOML of a mapping file; MappingFileError if it cannot be read."""
    path = Path(path)
    if not path.is_file():
        raise MappingFileError(f"mapping file {path} not found; check the path.")
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise MappingFileError(f"mapping file {path} is not valid TOML: {err}. "
                               "See docs/mapping-example.toml for the format.") from None
    except UnicodeDecodeError:
        raise MappingFileError(f"mapping file {path} is not UTF-8 text; save it as UTF-8.") from None


def read_mapping(path: str | Path) -> ColumnMapping:
    """Read and check a TOML mapping file (every problem listed in the error)."""
    return parse_mapping(load_toml(path), source=str(path))


def mapping_with_problems(mapping: ColumnMapping | Mapping | str | Path | None
                          ) -> tuple[ColumnMapping, list[Issue]]:
    """Like :func:`as_mapping`, but problems come back as error issues, not an exception.

    The loader uses this so a mapping mistake does not stop the checks of the data.
    """
    if mapping is None:
        return ColumnMapping(), []
    if isinstance(mapping, ColumnMapping):
        return mapping, []
    source = str(mapping) if isinstance(mapping, str | Path) else None
    try:
        data = load_toml(mapping) if isinstance(mapping, str | Path) else mapping
    except MappingFileError as err:
        return ColumnMapping(source=source), [Issue("error", "mapping", None, str(err))]
    cmap, errs = mapping_and_problems(data, source)
    return cmap, [Issue("error", "mapping", None, e) for e in errs]


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
