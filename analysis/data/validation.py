"""Validation of a loaded table against the data dictionary.

Every problem becomes an :class:`Issue` naming the column, the first few row numbers
and how many rows are affected, so the user knows what to fix. Row numbers count
data rows from 1: row 1 is the first row below the header (in a spreadsheet that is
line 2). Nothing is dropped or changed silently: a value that cannot be read is an
error, a missing value stays missing and is counted.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.data.cells import (  # noqa: F401 - MISSING_TOKENS, cell_text re-exported
    MISSING_TOKENS,
    all_distinct,
    as_text,
    cell_text,
    factorize_text,
    text_to_float,
)
from analysis.data.column_threads import ColumnSink, map_columns
from analysis.data.numbers import NumberFormat, declared, detect
from analysis.data.report import ROW_NOTE, Issue, ValidationReport  # noqa: F401 - re-exported
from analysis.data.schema import Variable

#: How many row numbers / example values a message shows.
MAX_ROWS_SHOWN = 5
#: Boolean codes understood without a ``[codes]`` entry (any case).
TRUE_TOKENS = frozenset({"1", "true", "yes", "y", "t"})
FALSE_TOKENS = frozenset({"0", "false", "no", "n", "f"})
#: Extra spellings of category levels understood without a ``[codes]`` entry (any case).
LEVEL_SYNONYMS: dict[str, dict[str, str]] = {
    "sex": {"m": "male", "f": "female", "man": "male", "woman": "female",
            "men": "male", "women": "female"},
}

#: Lipid columns often exported in mmol/L instead of the dictionary's mg/dl.
MMOL_LIKELY = frozenset({"ldl_c", "ldl_c_baseline", "hdl_c", "triglycerides"})

# --- small helpers ------------------------------------------------------------------

def suggest(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Near-miss spellings of ``name`` among ``candidates`` (case-insensitive)."""
    cands = list(candidates)
    lower = {c.lower(): c for c in cands}
    hits = difflib.get_close_matches(name.lower(), list(lower), n=n, cutoff=0.6)
    return [lower[h] for h in hits]


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` or ``""``."""
    hits = suggest(name, candidates)
    if not hits:
        return ""
    return "; did you mean " + " or ".join(f"'{h}'" for h in hits) + "?"


def row_numbers(mask: pd.Series | np.ndarray) -> tuple[list[int], int]:
    """First :data:`MAX_ROWS_SHOWN` 1-based row numbers where ``mask`` is true, and the count."""
    arr = np.asarray(mask, dtype=bool)
    idx = np.flatnonzero(arr)
    return [int(i) + 1 for i in idx[:MAX_ROWS_SHOWN]], int(idx.size)


def rows_text(rows: list[int], count: int) -> str:
    """``"rows 4, 9, 12"`` or ``"rows 4, 9, 12, 15, 20, ... (first 5 of 12)"``."""
    word = "row" if count == 1 else "rows"
    text = f"{word} " + ", ".join(map(str, rows))
    if count > len(rows):
        text += f", ... (first {len(rows)} of {count})"
    return text


def _examples(values: Iterable[object]) -> str:
    vals = list(values)[:MAX_ROWS_SHOWN]
    return ", ".join(repr(str(v)) for v in vals)


def describe_column(name: str, file_column: str | None) -> str:
    """``"'age'"`` or ``"'age' (file column 'AGE')"``."""
    if file_column and file_column != name:
        return f"'{name}' (file column '{file_column}')"
    return f"'{name}'"


# --- one column ----------------------------------------------------------------------

@dataclass
class ColumnContext:
    """What the parser needs to know about where a column came from."""

    file_column: str | None = None
    codes: Mapping[str, object] = field(default_factory=dict)
    value_labels: Mapping[str, str] = field(default_factory=dict)
    factor: float = 1.0
    unit: str | None = None
    #: Identifier columns: must every value be unique (patients) or not (lesions)?
    unique: bool = True
    #: Declared number format (mapping ``[numbers]``); ``None``: detected per value.
    number_format: NumberFormat | None = None


def _range_issues(values: pd.Series, var: Variable, ctx: ColumnContext) -> list[Issue]:
    issues: list[Issue] = []
    col = describe_column(var.name, ctx.file_column)
    unit = f" {var.unit}" if var.unit else ""
    note = f" (after converting from {ctx.unit})" if ctx.unit and ctx.factor != 1.0 else ""
    v = values.to_numpy(dtype="float64", na_value=np.nan)
    # NumPy comparisons are False for NaN, so missing values are never out of range
    if var.valid_range is not None:
        lo, hi = var.valid_range
        bad = (v < lo) | (v > hi)
        if bad.any():
            rows, n = row_numbers(bad)
            issues.append(Issue(
                "error", "out_of_range", var.name,
                f"{n} value(s) in {col} are outside the valid range {lo:g} to {hi:g}{unit}"
                f"{note}, {rows_text(rows, n)}: {_examples(values[bad].tolist())}. "
                "Correct them, mark them missing, or declare the unit in [units].",
                tuple(rows), n))
    if var.plausible_range is not None:
        lo, hi = var.plausible_range
        odd = (v < lo) | (v > hi)
        if var.valid_range is not None:
            odd &= (v >= var.valid_range[0]) & (v <= var.valid_range[1])
        if odd.any():
            rows, n = row_numbers(odd)
            hint = ""
            if (var.name in MMOL_LIKELY and ctx.unit is None
                    and values.median() < var.plausible_range[0]):
                hint = (f" Most values are below {lo:g}{unit}: if the file holds mmol/L, "
                        f"declare it in [units] ({var.name} = \"mmol/L\").")
            issues.append(Issue(
                "warning", "implausible", var.name,
                f"{n} value(s) in {col} are outside the plausible range {lo:g} to {hi:g}"
                f"{unit}{note}, {rows_text(rows, n)}: {_examples(values[odd].tolist())}. "
                f"They are kept; check them.{hint}", tuple(rows), n))
    return issues


def _to_float(text: pd.Series) -> pd.Series:
    """Text to float64; unreadable text becomes NaN (the caller reports it)."""
    return text_to_float(text)


def parse_numeric(raw: pd.Series, var: Variable, ctx: ColumnContext) -> tuple[pd.Series, list[Issue]]:
    """Parse a float or int column; report unreadable, non-whole and out-of-range values."""
    issues: list[Issue] = []
    col = describe_column(var.name, ctx.file_column)
    if raw.dtype == np.float64:
        # the parser's floats as they are, not copied (copy-on-write: changing the
        # validated column never changes the raw table, nor the other way round)
        values = raw.copy(deep=False)
    elif pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        values = pd.Series(raw.to_numpy(dtype="float64", na_value=np.nan), index=raw.index)
    else:
        text = as_text(raw)
        if ctx.number_format is not None:
            values, changed = declared(text, ctx.number_format)
            if changed:
                fmt = ctx.number_format
                issues.append(Issue(
                    "info", "number_format", var.name,
                    f"{changed} value(s) in {col} were read with the mapping's number format "
                    f"(decimal {fmt.decimal!r}, thousands {fmt.thousands or 'none'!r}).", (),
                    changed, conversion=f"{changed} value(s) read with decimal {fmt.decimal!r}"
                                        f", thousands {fmt.thousands or 'none'!r}"))
            handled = np.zeros(len(text), dtype=bool)
        else:
            values = _to_float(text)
            bad = text.notna() & values.isna()
            handled = np.zeros(len(text), dtype=bool)
            if bad.any():
                found = detect(text, values, bad, var.name, col)
                values, handled = found.values, found.fixed
                issues += found.issues
        bad = text.notna() & values.isna() & ~handled
        if bad.any():
            rows, n = row_numbers(bad)
            hint = (" (the mapping's [numbers] format applies to this column)"
                    if ctx.number_format is not None else "")
            issues.append(Issue(
                "error", "not_a_number", var.name,
                f"{n} value(s) in {col} are not numbers{hint}, {rows_text(rows, n)}: "
                f"{_examples(text[bad].tolist())}. Correct them or leave the cells empty "
                "for a missing value.", tuple(rows), n))
            values = values.where(~bad)
    if ctx.factor != 1.0:
        values = values * ctx.factor
        n_conv = int(values.notna().sum())
        issues.append(Issue("info", "unit_converted", var.name,
                            f"{n_conv} value(s) in {col} were converted from {ctx.unit} to "
                            f"{var.unit} (x {ctx.factor:g}).", (), n_conv,
                            conversion=f"{ctx.unit} -> {var.unit} (x {ctx.factor:g})"))
    whole = raw.dtype.kind in "iu" and ctx.factor == 1.0   # integers read as integers
    if var.dtype == "int" and not whole:
        frac = values.notna() & (values != values.round())
        if frac.any():
            rows, n = row_numbers(frac)
            issues.append(Issue(
                "error", "not_whole_number", var.name,
                f"{n} value(s) in {col} are not whole numbers, {rows_text(rows, n)}: "
                f"{_examples(values[frac].tolist())}.", tuple(rows), n))
            values = values.where(~frac)
    issues += _range_issues(values, var, ctx)
    if var.dtype == "int":
        ints = raw.to_numpy() if whole else None
        if ints is not None and (len(ints) == 0 or (int(ints.min()) >= -2**53
                                                    and int(ints.max()) <= 2**53)):
            # the same as through float64 (exact up to 2**53), without the round trip
            return pd.Series(pd.arrays.IntegerArray(ints.astype(np.int64),
                                                    np.zeros(len(ints), dtype=bool)),
                             index=raw.index), issues
        return values.round().astype("Int64"), issues
    return values, issues


def _resolve(texts: list[str | None], ctx: ColumnContext, builtin: Mapping[str, object]
             ) -> list[object]:
    """Resolve each distinct text: explicit ``[codes]``, then the file's value labels,
    then the built-in codes (all case-insensitive); ``None`` if unknown."""
    codes_map = {str(k).strip().lower(): v for k, v in ctx.codes.items()}
    labels = {str(k).strip().lower(): str(v).strip().lower() for k, v in ctx.value_labels.items()}
    resolved: list[object] = []
    for u in texts:
        if u is None:
            resolved.append(None)
            continue
        key = u.lower()
        label = labels.get(key)
        if key in codes_map:
            resolved.append(codes_map[key])
        elif label is not None and label in codes_map:
            resolved.append(codes_map[label])
        elif key in builtin:
            resolved.append(builtin[key])
        elif label is not None and label in builtin:
            resolved.append(builtin[label])
        else:
            resolved.append(None)
    return resolved


def _code_counts(factor: np.ndarray, texts: list[str | None], bad: pd.Series) -> str:
    counts = pd.Series(factor[bad.to_numpy()]).value_counts()
    shown = [f"'{texts[k]}' ({v}x)" for k, v in list(counts.items())[:10]]
    more = f" and {len(counts) - 10} more" if len(counts) > 10 else ""
    return ", ".join(shown) + more


def parse_bool(raw: pd.Series, var: Variable, ctx: ColumnContext) -> tuple[pd.Series, list[Issue]]:
    """Parse a yes/no column into pandas ``boolean``."""
    builtin = {t: True for t in TRUE_TOKENS} | {t: False for t in FALSE_TOKENS}
    if raw.dtype == np.dtype(bool):
        # the parser's True/False: each row's yes/no follows from how those two resolve
        on, off = _resolve(["true", "false"], ctx, builtin)
        if on is not None and off is not None:
            values = np.where(raw.to_numpy(), bool(on), bool(off))
            return pd.Series(pd.arrays.BooleanArray(values, np.zeros(len(values), dtype=bool)),
                             index=raw.index), []
    factor, texts = factorize_text(raw)
    resolved = _resolve(texts, ctx, builtin)
    known = np.array([r is not None for r in resolved] + [False], dtype=bool)
    truth = np.array([bool(r) if r is not None else False for r in resolved] + [False], dtype=bool)
    bad = pd.Series((factor != -1) & ~known[factor], index=raw.index)
    issues: list[Issue] = []
    if bad.any():
        rows, n = row_numbers(bad)
        col = describe_column(var.name, ctx.file_column)
        issues.append(Issue(
            "error", "unknown_code", var.name,
            f"{n} value(s) in {col} are not yes/no codes, {rows_text(rows, n)}; codes found: "
            f"{_code_counts(factor, texts, bad)}. Allowed without a mapping: 1/0, true/false, yes/no, "
            f"y/n (any case); map other codes in [codes.{var.name}] (e.g. \"J\" = true).",
            tuple(rows), n))
    out = pd.arrays.BooleanArray(truth[factor], ~known[factor])
    return pd.Series(out, index=raw.index), issues


def parse_category(raw: pd.Series, var: Variable, ctx: ColumnContext) -> tuple[pd.Series, list[Issue]]:
    """Parse a category column into the dictionary's levels (any case)."""
    issues: list[Issue] = []
    factor, texts = factorize_text(raw)
    if var.levels is None:
        # Open set (e.g. trial names): levels come from the data; codes may rename them.
        codes_map = {str(k).strip().lower(): str(v) for k, v in ctx.codes.items()}
        labels = {str(k).strip().lower(): str(v) for k, v in ctx.value_labels.items()}
        names = [None if t is None else codes_map.get(t.lower(), labels.get(t.lower(), t))
                 for t in texts]
        levels = sorted({nm for nm in names if nm is not None})
        position = {lv: i for i, lv in enumerate(levels)}
        idx = np.array([-1 if nm is None else position[nm] for nm in names] + [-1],
                       dtype="int64")
        cat = pd.Categorical.from_codes(idx[factor],
                                        dtype=pd.CategoricalDtype(levels, ordered=False))
        return pd.Series(cat, index=raw.index), issues
    level_of = {lv.lower(): i for i, lv in enumerate(var.levels)}
    builtin = {lv.lower(): lv for lv in var.levels} | LEVEL_SYNONYMS.get(var.name, {})
    resolved = _resolve(texts, ctx, builtin)
    idx = np.array([level_of.get(str(r).lower(), -1) if r is not None else -1
                    for r in resolved] + [-1], dtype="int64")
    cat_codes = idx[factor]
    bad = pd.Series((factor != -1) & (cat_codes == -1), index=raw.index)
    if bad.any():
        rows, n = row_numbers(bad)
        col = describe_column(var.name, ctx.file_column)
        issues.append(Issue(
            "error", "unknown_code", var.name,
            f"{n} value(s) in {col} are not allowed codes, {rows_text(rows, n)}; codes found: "
            f"{_code_counts(factor, texts, bad)}. Allowed values: {', '.join(var.levels)} (any case); "
            f"map other codes in [codes.{var.name}] (e.g. \"1\" = \"{var.levels[-1]}\").",
            tuple(rows), n))
    cat = pd.Categorical.from_codes(cat_codes, dtype=var.pandas_dtype())
    return pd.Series(cat, index=raw.index), issues


def parse_identifier(raw: pd.Series, var: Variable, ctx: ColumnContext) -> tuple[pd.Series, list[Issue]]:
    """Patient IDs as text; missing and duplicate IDs are errors."""
    text = as_text(raw)
    issues: list[Issue] = []
    col = describe_column(var.name, ctx.file_column)
    missing = text.isna()
    if missing.any():
        rows, n = row_numbers(missing)
        issues.append(Issue("error", "missing_id", var.name,
                            f"{n} row(s) have no patient ID in {col}, {rows_text(rows, n)}. "
                            "Every row needs a unique ID.", tuple(rows), n))
    # all_distinct is far faster than duplicated(); duplicates are looked for only then
    present = text.dropna() if missing.any() else text
    dup = (text.notna() & text.duplicated(keep=False)) \
        if ctx.unique and not all_distinct(present) else pd.Series(False, index=text.index)
    if ctx.unique and dup.any():
        rows, n = row_numbers(dup)
        ids = text[dup].unique().tolist()
        issues.append(Issue(
            "error", "duplicate_id", var.name,
            f"{len(ids)} patient ID(s) in {col} occur more than once ({n} rows), "
            f"{rows_text(rows, n)}: {_examples(ids)}. Each patient must have one row.",
            tuple(rows), n))
    return text.astype("str"), issues


def _raw_missing(raw: pd.Series) -> np.ndarray:
    """Cells missing in the file itself (empty or a missing token), not unreadable ones."""
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        return raw.isna().to_numpy()
    return factorize_text(raw)[0] == -1


def _code_conversions(raw: pd.Series, var: Variable, ctx: ColumnContext) -> list[Issue]:
    """Conversions by the mapping's codes and the file's value labels that occur in the data."""
    if not (ctx.codes or ctx.value_labels) or var.dtype not in ("bool", "category"):
        return []
    _, texts = factorize_text(raw)
    seen = {t.lower(): t for t in texts if t is not None}
    out = []
    for what, table in (("the mapping's [codes]", ctx.codes), ("the file's value labels",
                                                               ctx.value_labels)):
        used = [f"{seen[str(k).strip().lower()]!r} -> {v!r}" for k, v in table.items()
                if str(k).strip().lower() in seen]
        if used:
            shown = ", ".join(used[:10]) + (" ..." if len(used) > 10 else "")
            out.append(Issue("info", "codes_applied", var.name,
                             f"{describe_column(var.name, ctx.file_column)} was recoded with "
                             f"{what}: {shown}.", (), len(used),
                             conversion=f"recoded with {what}: {shown}"))
    return out


def _missing_token_conversion(raw: pd.Series, missing: np.ndarray, var: Variable,
                              ctx: ColumnContext) -> list[Issue]:
    """A conversion for cells written as a missing-value code (NA, ., null, ...)."""
    if pd.api.types.is_numeric_dtype(raw.dtype):
        return []
    cells = raw[missing].map(cell_text)
    tokens = cells[cells.notna() & (cells != "")]
    if tokens.empty:
        return []
    shown = ", ".join(repr(t) for t in tokens.unique()[:5])
    return [Issue("info", "missing_codes", var.name,
                  f"{len(tokens)} cell(s) in {describe_column(var.name, ctx.file_column)} "
                  f"written as {shown} were read as missing values.", (), len(tokens),
                  conversion=f"{len(tokens)} cell(s) {shown} read as missing")]


def parse_column(raw: pd.Series, var: Variable, ctx: ColumnContext | None = None
                 ) -> tuple[pd.Series, list[Issue]]:
    """Parse one raw column into the dictionary dtype, with its issues and conversions."""
    ctx = ctx or ColumnContext()
    if var.dtype in ("float", "int"):
        out, issues = parse_numeric(raw, var, ctx)
    elif var.dtype == "bool":
        out, issues = parse_bool(raw, var, ctx)
    elif var.dtype == "category":
        out, issues = parse_category(raw, var, ctx)
    elif var.role == "identifier":
        out, issues = parse_identifier(raw, var, ctx)
    else:
        out, issues = as_text(raw).astype("str"), []
    missing = _raw_missing(raw) if out.isna().any() else None
    if missing is not None and missing.any() and var.role != "identifier":
        rows, n = row_numbers(missing)
        col = describe_column(var.name, ctx.file_column)
        issues.append(Issue("info", "missing_values", var.name,
                            f"{n} missing value(s) in {col} ({100 * n / len(out):.1f}%), "
                            f"{rows_text(rows, n)}; they stay missing.", tuple(rows), n))
        issues += _missing_token_conversion(raw, missing, var, ctx)
    issues += _code_conversions(raw, var, ctx)
    return out, issues


def validate_table(raw: pd.DataFrame, variables: Mapping[str, Variable], *,
                   contexts: Mapping[str, ColumnContext] | None = None,
                   required: Iterable[str] | None = None,
                   file_columns: Iterable[str] | None = None,
                   what: str = "file", section: str = "columns",
                   sink: ColumnSink | None = None) -> tuple[pd.DataFrame, list[Issue]]:
    """Parse every dictionary column present in ``raw`` (already renamed to dictionary names).

    Parameters
    ----------
    raw : DataFrame
        Raw cells, columns already named as in the dictionary; other columns are ignored.
    variables : mapping of name to Variable
        The dictionary to check against (patients or lesions).
    contexts : mapping of name to ColumnContext, optional
        File column name, codes, value labels and unit factor per column.
    required : iterable of str, optional
        Columns that must be present (default: those marked required).
    file_columns : iterable of str, optional
        The file's columns not matched to the dictionary, for near-miss suggestions.
    what : str
        Word for the table in messages ("file", "lesion file").
    section : str
        Mapping section to point to in messages ("columns", "lesion_columns").
    sink : ColumnSink, optional
        Told the names of the columns to parse, then given each parsed column in
        turn, in dictionary order, while the next are parsed (the loader hashes them).

    Returns
    -------
    frame, issues
        Columns in dictionary order with dictionary dtypes, index 0..n-1.
    """
    contexts = contexts or {}
    required = list(required) if required is not None else [
        v.name for v in variables.values() if v.required]
    candidates = list(file_columns) if file_columns is not None else list(raw.columns)
    issues: list[Issue] = []
    for name in required:
        if name not in raw.columns:
            hint = did_you_mean(name, candidates)
            example = (suggest(name, candidates) or ["<name in your file>"])[0]
            issues.append(Issue(
                "error", "missing_column", name,
                f"missing required column '{name}' in the {what}{hint or '.'} "
                f"Map it in [{section}] ({name} = \"{example}\").", (), 0))
    if len(raw) == 0:
        issues.append(Issue("error", "no_rows", None,
                            f"the {what} has no data rows (only a header, or nothing).", (), 0))
    names = [n for n, var in variables.items() if n in raw.columns and not var.derived]
    columns = {n: raw[n].reset_index(drop=True) for n in names}

    def parse(name: str) -> tuple[pd.Series, list[Issue]]:
        return parse_column(columns[name], variables[name], contexts.get(name))

    out: dict[str, pd.Series] = {}
    if sink is not None:
        sink.begin(names, len(raw))
    for name, (col, col_issues) in zip(names, map_columns(parse, names, raw), strict=True):
        out[name] = col
        issues += col_issues
        if sink is not None:
            sink.add(name, col)
    # copy=False: each parsed column is new already; no consolidation into 2-D blocks
    frame = pd.DataFrame(out, index=pd.RangeIndex(len(raw)), copy=False)
    return frame, issues

