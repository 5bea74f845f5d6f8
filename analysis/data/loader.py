"""Load an investigator's file (or the bundled simulated cohort) into a validated dataset.

One path for every source: read raw cells -> match columns through the mapping ->
parse and check every column against the data dictionary -> optional lesion file ->
derived columns (always recomputed) -> fingerprint. Any error stops the load with a
:class:`~analysis.errors.DataLoadError` carrying the full report; warnings travel with
the dataset. Rows are never dropped, reordered or changed; the source file is only read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from analysis import settings as settings_mod
from analysis.data.checks import table_issues
from analysis.data.derive import add_derived, group_from_lesions
from analysis.data.fingerprint import fingerprint  # noqa: F401 - re-exported
from analysis.data.fingerprint_stream import ColumnStream
from analysis.data.limits import Limits
from analysis.data.mapping import (
    ColumnMapping,
    ColumnResolution,
    MappingFileError,
    mapping_with_problems,
    resolve_columns,
)
from analysis.data.readers import RawTable, ReadOptions, read_raw
from analysis.data.schema import GROUP, LESIONS, SIMULATED_LABEL, VARIABLES, required_columns
from analysis.data.validation import (
    ROW_NOTE,
    ColumnContext,
    Issue,
    ValidationReport,
    row_numbers,
    rows_text,
    validate_table,
)
from analysis.errors import DataLoadError

PathLike = str | Path


@dataclass(frozen=True)
class Provenance:
    """Where a dataset came from and how it was read.

    ``fingerprint`` is a sha256 hex digest of the validated frame (values, column
    names, dtypes) and lesion table: equal data give equal fingerprints, so it is the
    cache key for everything computed from the dataset.
    """

    source: str
    format: str
    rows: int
    columns: tuple[str, ...]
    fingerprint: str
    simulated: bool
    sheet: str | None
    mapping: str | None
    loaded_at: str
    encoding: str | None = None
    delimiter: str | None = None
    #: File columns not used (not in the dictionary, or derived and recomputed).
    ignored_columns: tuple[str, ...] = ()
    lesions_source: str | None = None
    lesion_rows: int | None = None
    #: Contents of the FILE.meta.json sidecar, if any (seed, n, generator).
    meta: dict | None = None
    #: Every conversion made while reading (units, codes, value labels, missing-value
    #: codes, decimal commas and thousands separators, skipped title rows, encoding),
    #: as ``{"column", "conversion", "count"}`` dicts.
    conversions: tuple[dict, ...] = ()
    #: 1-based row of the header in the file (text line or sheet row).
    header_row: int = 1

    @property
    def label(self) -> str:
        """The simulated-data label to show, or ``""`` for real data."""
        return SIMULATED_LABEL if self.simulated else ""

    @property
    def n_columns(self) -> int:
        return len(self.columns)


@dataclass(frozen=True)
class Dataset:
    """A validated patient table with its lesions (if any), provenance and report."""

    frame: pd.DataFrame
    lesions: pd.DataFrame | None
    provenance: Provenance
    report: ValidationReport

    @property
    def fingerprint(self) -> str:
        return self.provenance.fingerprint


# --- helpers --------------------------------------------------------------------------

def read_sidecar(path: Path) -> tuple[dict | None, list[Issue]]:
    """The FILE.meta.json next to ``path`` (``None`` if absent) and any issue reading it."""
    side = path.with_name(path.name + ".meta.json")
    if not side.is_file():
        return None, []
    try:
        meta = json.loads(side.read_text(encoding="utf-8"))
        if not isinstance(meta, dict):
            raise ValueError("not a JSON object")
        return meta, []
    except (ValueError, UnicodeDecodeError) as err:
        return None, [Issue("warning", "bad_sidecar", None,
                            f"{side.name} could not be read ({err}); the data are not marked "
                            "as simulated.")]


def _prefixed(issues: list[Issue], prefix: str) -> list[Issue]:
    return [replace(i, message=f"{prefix}{i.message}") for i in issues]


def _raise_if_errors(issues: list[Issue], source: str) -> ValidationReport:
    """The report; raises DataLoadError on any error (MappingFileError when the mapping
    has problems, so callers can tell; either way the report holds every problem)."""
    report = ValidationReport.of(issues)
    if not report.ok:
        errs = report.errors
        lines = [f"could not load '{source}': {len(errs)} problem(s) to fix."]
        lines += [f"- {e.message}" for e in errs[:8]]
        if len(errs) > 8:
            lines.append(f"- ... and {len(errs) - 8} more (see the full report).")
        if any(e.rows for e in errs):
            lines.append(ROW_NOTE)
        mapping_bad = any(e.code == "mapping" for e in errs)
        raise (MappingFileError if mapping_bad else DataLoadError)("\n".join(lines), report=report)
    return report


#: A reader of raw cells with :func:`~analysis.data.readers.read_raw`'s signature (the
#: mapping wizard passes one that keeps recent reads).
Reader = Callable[..., RawTable]


def _read(source: PathLike | pd.DataFrame, sheet: str | None, limit: float,
          options: ReadOptions | None = None, prior: list[Issue] | None = None,
          reader: Reader = read_raw) -> RawTable:
    """Raw cells; a read failure carries ``prior`` issues (the mapping's) in its report."""
    if isinstance(source, pd.DataFrame):
        frame = source.copy(deep=True).reset_index(drop=True)
        frame.columns = [str(c) for c in frame.columns]
        return RawTable(frame, "frame")
    try:
        return reader(source, sheet=sheet, limits=Limits.from_settings(max_file_mb=limit),
                      options=options)
    except DataLoadError as err:
        if not prior:
            raise
        issues = list(prior) + list(err.report.issues if err.report else
                                    [Issue("error", "unreadable", None, str(err))])
        _raise_if_errors(issues, str(source))
        raise


def read_options(cmap: ColumnMapping) -> ReadOptions:
    """What the readers need from the mapping: header row, expected and numeric names."""
    expected = {v.name for v in VARIABLES.values() if not v.derived}
    expected |= {c.strip().lower() for c in cmap.columns.values()}
    numeric, categorical = set(), set()
    for v in VARIABLES.values():
        name = cmap.columns.get(v.name, v.name).strip().lower()
        if v.derived:
            continue
        if v.is_categorical:
            # open sets (trial) keep their exact text: "001" must stay "001"
            if v.name not in cmap.codes and (v.dtype == "bool" or v.levels is not None):
                categorical.add(name)
        elif v.is_numeric and cmap.number_format_of(v.name) is None:
            numeric.add(name)
    return ReadOptions(header_row=cmap.header_row, expected=frozenset(expected),
                       numeric=frozenset(numeric), multiline_fields=cmap.multiline_fields,
                       only_expected=True, categorical=frozenset(categorical))


def _unused_cell_problems(issues: list[Issue], used: set[str]) -> list[Issue]:
    """Excel error cells in columns the loader does not use are warnings, not errors."""
    out = []
    for i in issues:
        if (i.code in ("excel_error_cell", "formula_without_value") and i.severity == "error"
                and i.column not in used):
            i = replace(i, severity="warning",
                        message=i.message + " The column is not used, so the file still loads.")
        out.append(i)
    return out


def conversions_of(report: ValidationReport) -> tuple[dict, ...]:
    """The report's conversions as plain dicts (for the provenance)."""
    return tuple({"column": i.column, "conversion": i.conversion, "count": i.count}
                 for i in report.conversions)


def _contexts(resolution_rename: dict[str, str], cmap_codes: dict, cmap: ColumnMapping | None,
              raw: RawTable, *, unique_ids: bool = True) -> dict[str, ColumnContext]:
    out = {}
    for col, name in resolution_rename.items():
        out[name] = ColumnContext(
            file_column=col, codes=cmap_codes.get(name, {}),
            value_labels=raw.value_labels.get(col, {}),
            factor=cmap.factor(name) if cmap is not None else 1.0,
            unit=cmap.units.get(name) if cmap is not None else None,
            unique=unique_ids,
            number_format=cmap.number_format_of(name) if cmap is not None else None)
    return out


def _load_lesions(source: PathLike | pd.DataFrame, cmap: ColumnMapping, limit: float,
                  patient_ids: pd.Series | None, reader: Reader = read_raw
                  ) -> tuple[pd.DataFrame | None, list[Issue]]:
    raw = _read(source, None, limit, reader=reader)
    res = resolve_columns(raw.columns, cmap.lesion_columns, LESIONS,
                          what="lesion file", section="lesion_columns")
    renamed = raw.frame[list(res.rename)].rename(columns=res.rename)
    absent = {i.column for i in res.issues if i.code == "mapped_column_absent"}
    frame, issues = validate_table(
        renamed, LESIONS, contexts=_contexts(res.rename, {}, None, raw, unique_ids=False),
        required=[n for n in LESIONS if n not in absent],
        file_columns=[c for c in raw.columns if c not in res.rename],
        what="lesion file", section="lesion_columns")
    issues = list(raw.issues) + list(res.issues) + issues
    for name in ("arc_deg", "length_mm"):
        if name in frame.columns and frame[name].isna().any():
            rows, n = row_numbers(frame[name].isna())
            issues.append(Issue("error", "missing_lesion_value", name,
                                f"{n} lesion(s) have no '{name}', {rows_text(rows, n)}; a "
                                "deposit cannot be classified without it.", tuple(rows), n))
    if patient_ids is not None and "patient_id" in frame.columns:
        unknown = frame["patient_id"].notna() & ~frame["patient_id"].isin(set(patient_ids.dropna()))
        if unknown.any():
            rows, n = row_numbers(unknown)
            ids = frame.loc[unknown, "patient_id"].unique().tolist()[:5]
            issues.append(Issue(
                "error", "unknown_lesion_patient", "patient_id",
                f"{n} lesion(s) belong to patient IDs that are not in the patient file, "
                f"{rows_text(rows, n)}: {', '.join(repr(i) for i in ids)}. Check that both "
                "files use the same IDs.", tuple(rows), n))
    issues = [i for i in issues if not (i.code == "missing_values" and i.column == "patient_id")]
    return frame, _prefixed(issues, "lesion file: ")


def _group_mismatch(frame: pd.DataFrame, lesions: pd.DataFrame) -> list[Issue]:
    """Warn where the file's calcification group disagrees with the lesion file."""
    derived = group_from_lesions(frame["patient_id"], lesions)[GROUP]
    given = frame[GROUP]
    differ = given.notna() & (given.astype("str") != derived.astype("str"))
    if not differ.any():
        return []
    rows, n = row_numbers(differ)
    return [Issue("warning", "group_mismatch", GROUP,
                  f"{n} patient(s) have a 'calcification' group that differs from the one the "
                  f"lesion file gives, {rows_text(rows, n)}. The patient file's group is used; "
                  "check both files.", tuple(rows), n)]


def _order(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns in dictionary order (no copy when they are in that order already)."""
    cols = [c for c in VARIABLES if c in frame.columns]
    return frame if list(frame.columns) == cols else frame[cols]


# --- entry points ------------------------------------------------------------------------

@dataclass(frozen=True)
class _Checked:
    """Everything :func:`_check` found, for :func:`load_dataset` to build the dataset."""

    frame: pd.DataFrame
    lesions: pd.DataFrame | None
    issues: list[Issue]
    raw: RawTable
    cmap: ColumnMapping
    resolution: ColumnResolution
    meta: dict | None
    source: str


def _check(path: PathLike | pd.DataFrame, mapping, *, sheet: str | None,
           lesions: PathLike | pd.DataFrame | None, max_file_mb: float | None,
           reader: Reader = read_raw, sink: ColumnStream | None = None) -> _Checked:
    """Read, match, parse and check (every step of a load but derive and fingerprint).

    One function on purpose: the steps (read, match, parse, lesions, whole-table
    checks) read top to bottom in the order they run. Raises DataLoadError only when
    the file cannot be read at all (its report attached). ``sink`` is given the
    patient table's columns as they are parsed (the load hashes them meanwhile).
    """
    limit = settings_mod.current().max_file_mb if max_file_mb is None else max_file_mb
    is_frame = isinstance(path, pd.DataFrame)
    source = "<DataFrame>" if is_frame else str(path)
    cmap, map_issues = mapping_with_problems(mapping)
    sheet = sheet or cmap.sheet
    raw = _read(path, sheet, limit, read_options(cmap), map_issues, reader)
    issues: list[Issue] = list(map_issues) + list(raw.issues)
    if sheet is not None and raw.format != "excel":
        issues.append(Issue("warning", "sheet_ignored", None,
                            f"a sheet name ('{sheet}') was given but {raw.format} files have no "
                            "sheets; it is ignored."))
    meta, side_issues = (None, []) if is_frame else read_sidecar(Path(path))
    issues += side_issues

    res = resolve_columns(raw.columns, cmap.columns, VARIABLES)
    issues += res.issues
    renamed = raw.frame[list(res.rename)].rename(columns=res.rename)
    absent = {i.column for i in res.issues if i.code == "mapped_column_absent"}
    derive_group = lesions is not None and GROUP not in renamed.columns
    required = [n for n in required_columns() if n not in absent
                and not (derive_group and n == GROUP)]
    if derive_group and "n_spotty" in renamed.columns:
        issues.append(Issue("warning", "n_spotty_replaced", "n_spotty",
                            "'n_spotty' in the patient file is ignored: it is counted from the "
                            "lesion file together with the calcification group."))
        renamed = renamed.drop(columns="n_spotty")
    frame, col_issues = validate_table(
        renamed, VARIABLES, contexts=_contexts(res.rename, cmap.codes, cmap, raw),
        required=required, file_columns=[c for c in raw.columns if c not in res.rename],
        sink=sink)
    issues = _unused_cell_problems(issues, set(res.rename)) + col_issues

    lesion_frame = None
    if lesions is not None:
        ids = frame["patient_id"] if "patient_id" in frame.columns else None
        lesion_frame, les_issues = _load_lesions(lesions, cmap, limit, ids, reader)
        issues += les_issues
        les_ok = not any(i.severity == "error" for i in les_issues)
        if derive_group and les_ok and ids is not None:
            derived = group_from_lesions(frame["patient_id"], lesion_frame)
            frame = frame.assign(**{GROUP: derived[GROUP], "n_spotty": derived["n_spotty"]})
            issues.append(Issue("info", "group_from_lesions", GROUP,
                                "'calcification' and 'n_spotty' were derived from the lesion "
                                "file (spotty: deposit 1-4 mm long with arc < 90 degrees)."))
        elif not derive_group and les_ok and ids is not None and GROUP in frame.columns:
            issues.append(Issue("info", "lesions_not_used_for_group", GROUP,
                                "the patient file has 'calcification', so the lesion file is "
                                "kept for display but not used to assign groups."))
            issues += _group_mismatch(frame, lesion_frame)

    refused = {i.column for i in issues if i.severity == "error" and i.column}
    issues += table_issues(frame, required, {v: k for k, v in res.rename.items()}, refused)
    return _Checked(frame, lesion_frame, issues, raw, cmap, res, meta, source)


def check_file(path: PathLike, mapping: ColumnMapping | dict | PathLike | None = None, *,
               sheet: str | None = None, lesions: PathLike | None = None,
               max_file_mb: float | None = None, reader: Reader = read_raw) -> ValidationReport:
    """The report :func:`load_dataset` would give, without building the dataset.

    The same steps and the same issues (read, match, parse, lesions, whole-table
    checks); the derived columns and the fingerprint, which cannot add an issue, are
    left out, so a report after each edit of the mapping wizard costs less than a load.
    ``reader`` reads the raw cells (default :func:`~analysis.data.readers.read_raw`).

    Raises
    ------
    DataLoadError
        Only when the file cannot be read at all (``err.report`` holds the problems).
    """
    return ValidationReport.of(_check(path, mapping, sheet=sheet, lesions=lesions,
                                      max_file_mb=max_file_mb, reader=reader).issues)


def load_dataset(path: PathLike | pd.DataFrame, mapping: ColumnMapping | dict | PathLike | None = None,
                 *, sheet: str | None = None, lesions: PathLike | pd.DataFrame | None = None,
                 max_file_mb: float | None = None, simulated: bool | None = None) -> Dataset:
    """Load, map and validate a patient file.

    :func:`_check` reads, matches, parses and checks (a large table's fingerprint is
    hashed meanwhile, :mod:`analysis.data.fingerprint_stream`); then any error stops
    the load, and the derived columns and the fingerprint are added.

    Parameters
    ----------
    path : str, Path or DataFrame
        The patient file (CSV/TSV, .xlsx, Parquet, .sas7bdat, .xpt, .dta, .sav), or a
        DataFrame of raw values (never modified).
    mapping : ColumnMapping, dict, str or Path, optional
        Column mapping (a TOML file path, or its parsed dict); see docs/mapping-example.toml.
    sheet : str, optional
        Excel sheet name (default: the first sheet).
    lesions : str, Path or DataFrame, optional
        Lesion table (patient_id, arc_deg, length_mm). If the patient file has no
        ``calcification`` column, the group and ``n_spotty`` are derived from it.
    max_file_mb : float, optional
        Size limit per file (default ``settings.current().max_file_mb``).
    simulated : bool, optional
        Force the simulated flag; by default it comes from a FILE.meta.json sidecar.

    Returns
    -------
    Dataset
        ``frame`` has dictionary dtypes, dictionary column order, index 0..n-1, the
        derived columns computed with the default cut-points, and every row of the file
        in file order.

    Raises
    ------
    DataLoadError
        On any error; ``err.report`` is the full :class:`ValidationReport`, holding
        the mapping's problems and the data's together (a mapping mistake does not
        stop the checks of the data).
    """
    stream = ColumnStream(VARIABLES)   # the fingerprint, hashed while columns are parsed
    try:
        c = _check(path, mapping, sheet=sheet, lesions=lesions, max_file_mb=max_file_mb,
                   sink=stream)
        frame, lesion_frame, issues, raw, cmap, res, meta, source = (
            c.frame, c.lesions, c.issues, c.raw, c.cmap, c.resolution, c.meta, c.source)
        report = _raise_if_errors(issues, source)
        read = replace(raw, frame=pd.DataFrame())   # how the file was read, not its cells
        del c, raw   # the raw cells are not needed any more: their memory is free for derive
        frame = _order(add_derived(frame)).reset_index(drop=True)
        fp = stream.finish(frame, lesion_frame)
    finally:
        stream.close()
    is_sim = bool(meta.get("simulated")) if meta else False
    prov = Provenance(
        source=source, format=read.format, rows=len(frame), columns=tuple(frame.columns),
        fingerprint=fp, simulated=is_sim if simulated is None else simulated,
        sheet=read.sheet, mapping=cmap.source or (None if mapping is None else "<mapping>"),
        loaded_at=datetime.now(UTC).isoformat(timespec="seconds"),
        encoding=read.encoding, delimiter=read.delimiter, ignored_columns=res.ignored,
        lesions_source=None if lesions is None else (
            "<DataFrame>" if isinstance(lesions, pd.DataFrame) else str(lesions)),
        lesion_rows=None if lesion_frame is None else len(lesion_frame), meta=meta,
        conversions=conversions_of(report), header_row=read.header_row)
    return Dataset(frame=frame, lesions=lesion_frame, provenance=prov, report=report)



def load_bundled() -> Dataset:
    """The bundled simulated cohort (``data/simulated_cohort.csv`` + lesions if present).

    Loaded through :func:`load_dataset` like any file, and always marked simulated.
    """
    cohort = settings_mod.BUNDLED_COHORT
    lesions = settings_mod.BUNDLED_LESIONS if settings_mod.BUNDLED_LESIONS.is_file() else None
    return load_dataset(cohort, lesions=lesions, simulated=True)
