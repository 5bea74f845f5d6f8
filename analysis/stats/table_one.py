"""Table 1: baseline characteristics overall and by calcification group.

The rows come from the data dictionary (every ``Variable`` with ``table1=True``
present in the data, in dictionary order). Summaries:

* roughly normal numeric variables: mean ± SD, compared with the Welch t-test;
* skewed numeric variables (``Variable.skewed``): median [Q1, Q3], Mann-Whitney U;
* yes/no variables: one row, n (%) of "yes";
* categories: a header row (test and multivariate SMD) and one n (%) row per level;
  chi-square without continuity correction, Fisher exact for a 2 x 2 table with an
  expected count below 5 (see :mod:`analysis.stats.hypothesis_tests` for the rules and why).

Quantiles use numpy's default linear interpolation. The SMD of a skewed variable
uses its means and SDs like any numeric variable (the usual balance diagnostic). Percent denominators are the
non-missing values of the variable in that column; missing values are counted, never
dropped silently. "Overall" means the rows in the compared groups only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
import pandas as pd

from analysis.data.schema import (
    GROUP,
    GROUP_LABELS,
    GROUP_LEVELS,
    PATIENT_VARIABLES,
    VARIABLES,
    Variable,
)
from analysis.display import format_count
from analysis.errors import AnalysisError
from analysis.stats import hypothesis_tests as st
from analysis.stats.grouping import (
    as_float,
    check_frame,
    check_levels,
    codes_of,
    group_mask,
    level_codes,
    outside_note,
)
from analysis.stats.quantiles import sorted_quantiles, union_quantiles

OVERALL = "overall"
STATS = ("n", "mean", "sd", "median", "q1", "q3", "count", "pct", "missing")
_INT_STATS = ("n", "count", "missing")
SUMMARY_TEXT = {"mean_sd": "mean ± SD", "median_iqr": "median [Q1, Q3]", "n_pct": "n (%)"}
_INDENT = "\u00a0" * 4

RULES_NOTE = (
    "Tests (two-sided): Welch t-test for means; Mann-Whitney U for skewed variables "
    "(median [Q1, Q3]); chi-square without continuity correction for counts, Fisher "
    "exact for 2 x 2 tables with an expected count below 5."
)
DENOMINATOR_NOTE = ("Percentages use the non-missing values of each variable in that "
                    "column as denominator; quartiles use linear interpolation.")
SMD_NOTE = ("SMD: standardized mean difference, {a} minus {b} (pooled SD = root mean of "
            "the two variances); categories with more than one row: Yang & Dalton "
            "multivariate SMD (non-negative).")


@dataclass(frozen=True)
class TableOneResult:
    """Table 1 as tidy numbers and as display strings.

    Attributes
    ----------
    tidy : pandas.DataFrame
        One row per variable, plus one row per level for categories. Columns:

        ``variable`` (dictionary name), ``label``, ``unit`` (``""`` if none),
        ``level`` (``""`` for numeric and category header rows, ``"yes"`` for a yes/no
        variable, the level name for category level rows), ``row`` (``"variable"``,
        ``"header"`` or ``"level"``), ``summary`` (``"mean_sd"``, ``"median_iqr"`` or
        ``"n_pct"``); then for each scope in ``("overall", *levels)``:
        ``{scope}_n`` (non-missing values: the denominator), ``{scope}_mean``,
        ``{scope}_sd``, ``{scope}_median``, ``{scope}_q1``, ``{scope}_q3`` (numeric
        rows), ``{scope}_count``, ``{scope}_pct`` (n (%) rows; pct in 0-100),
        ``{scope}_missing`` (missing values); then ``p`` (two-sided), ``test`` (its
        name; ``""`` on level rows of categories), ``smd`` (``levels[1]`` minus
        ``levels[0]``), ``n_missing`` (missing values overall), ``note``.
        Counts are ``Int64``; statistics ``float64`` (NaN where not applicable).
    formatted : pandas.DataFrame
        Same rows as ``tidy``; columns ``"Variable"``, ``"Overall (n=…)"``, one
        ``"<group label> (n=…)"`` per level, ``"p"``, ``"Test"``, ``"SMD"``,
        ``"Missing"``. Cells are strings.
    group_n : dict
        Rows per group level (including rows with missing values).
    notes : tuple of str
        Test rules, denominators, rows outside the groups, empty groups, test caveats.
    group, levels : str, tuple of str
        The group column and the compared levels.
    """

    tidy: pd.DataFrame
    formatted: pd.DataFrame
    group_n: dict[str, int]
    notes: tuple[str, ...]
    group: str = GROUP
    levels: tuple[str, ...] = GROUP_LEVELS
    n_overall: int = field(default=0)


def table_one_variables(data: pd.DataFrame, group: str = GROUP) -> list[Variable]:
    """Dictionary variables marked ``table1`` that are columns of ``data``."""
    return [v for v in PATIENT_VARIABLES
            if v.table1 and v.name in data.columns and v.name != group]


def _allowed(data: pd.DataFrame, group: str) -> list[str]:
    return [v.name for v in PATIENT_VARIABLES
            if v.name in data.columns and v.name != group and v.dtype != "str"]


def _resolve_variables(data: pd.DataFrame, group: str,
                       variables: Iterable[str] | None) -> list[Variable]:
    if variables is None:
        return table_one_variables(data, group)
    if isinstance(variables, str):
        variables = [variables]
    allowed = _allowed(data, group)
    chosen = []
    for name in variables:
        if name not in allowed:
            where = ("is not in the data" if name not in data.columns
                     else "is not a summarisable dictionary variable")
            raise AnalysisError(
                f"Table 1 variable '{name}' {where}. Choose from: {', '.join(allowed)}."
            )
        chosen.append(VARIABLES[name])
    return chosen


def _summary_kind(var: Variable) -> str:
    if var.is_categorical:
        return "n_pct"
    return "median_iqr" if var.skewed else "mean_sd"


def _numeric_stats(x: np.ndarray, xs: np.ndarray | None, missing: int,
                   quartiles: np.ndarray | None = None) -> dict[str, float]:
    """Summary of ``x`` (row order: mean, SD); quartiles from ``xs`` (sorted) or given."""
    n = len(x)
    if quartiles is None:
        quartiles = sorted_quantiles(xs)
    q1, med, q3 = quartiles
    return {"n": n, "mean": float(np.mean(x)) if n else math.nan, "sd": st.sd(x),
            "median": float(med), "q1": float(q1), "q3": float(q3),
            "count": pd.NA, "pct": math.nan, "missing": missing}


def _count_stats(count: int, n: int, missing: int) -> dict[str, float]:
    return {"n": n, "mean": math.nan, "sd": math.nan, "median": math.nan, "q1": math.nan,
            "q3": math.nan, "count": count, "pct": 100.0 * count / n if n else math.nan,
            "missing": missing}


def _as_bool(data: pd.DataFrame, name: str) -> pd.Series:
    try:
        return data[name].astype("boolean")
    except (TypeError, ValueError):
        raise AnalysisError(
            f"Column '{name}' must hold yes/no values (True/False); validate the data "
            "with analysis.data.validation first."
        ) from None


def _as_levels(data: pd.DataFrame, var: Variable) -> tuple[np.ndarray, tuple[str, ...]]:
    """(per row the position of its value in the levels, -1 if missing; the levels)."""
    col = data[var.name]
    codes, labels = codes_of(col)
    if var.levels:
        levels = tuple(var.levels)
    elif isinstance(col.dtype, pd.CategoricalDtype):
        levels = tuple(labels)
    else:
        levels = tuple(sorted(set(labels)))
    present = np.bincount(codes + 1, minlength=len(labels) + 1)[1:] > 0
    unknown = sorted({label for label, used in zip(labels, present, strict=True)
                      if used and label not in levels})
    if unknown:
        raise AnalysisError(
            f"Column '{var.name}' holds values outside its levels ({', '.join(levels)}): "
            f"{', '.join(unknown[:5])}. Validate the data with analysis.data.validation first."
        )
    return level_codes(col, levels), levels


def _base_row(var: Variable, level: str, row: str, kind: str) -> dict:
    return {"variable": var.name, "label": var.label, "unit": var.unit or "",
            "level": level, "row": row, "summary": kind}


def _put(row: dict, scope: str, values: dict) -> None:
    for key in STATS:
        row[f"{scope}_{key}"] = values[key]


def _present(values: np.ndarray, known: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, int]:
    """(non-missing values of the rows in ``mask``, in row order; missing count).

    ``known`` is ``~np.isnan(values)``, computed once per variable.
    """
    use = known if mask.all() else known & mask
    n = int(np.count_nonzero(use))
    missing = int(np.count_nonzero(mask)) - n
    return (values if n == len(values) else values[use]), missing


def _numeric_rows(data, var, masks, levels, kind, rows_by_group: np.ndarray,
                  group_bounds: list[int]) -> list[dict]:
    """Each group sorted once: its quartiles, the overall quartiles (order statistics
    of the union, :mod:`analysis.stats.quantiles`) and the Mann-Whitney ranks.

    ``rows_by_group`` holds the row positions of ``levels[0]``, then ``levels[1]``, ...
    (each increasing), ``group_bounds`` where each group starts and the last ends: one
    gather per variable gives every group's values in row order.
    """
    x_all = as_float(data[var.name])
    known = ~np.isnan(x_all)
    row = _base_row(var, "", "variable", kind)
    per, ordered = {}, {}
    by_group = x_all.take(rows_by_group)  # each group's rows, contiguous, in row order
    for scope, (start, stop) in zip(levels, pairwise(group_bounds), strict=True):
        x = by_group[start:stop]
        nan = np.isnan(x)
        missing = int(np.count_nonzero(nan))
        per[scope] = x[~nan] if missing else x
        ordered[scope] = np.sort(per[scope])
        _put(row, scope, _numeric_stats(per[scope], ordered[scope], missing))
    x, missing = _present(x_all, known, masks[OVERALL])
    _put(row, OVERALL, _numeric_stats(
        x, None, missing, union_quantiles([ordered[lv] for lv in levels])))
    row["n_missing"] = row[f"{OVERALL}_missing"]
    if len(levels) == 2:
        b, a = per[levels[0]], per[levels[1]]
        moments = tuple((row[f"{lv}_mean"], row[f"{lv}_sd"]) for lv in (levels[1], levels[0]))
        res = (st.mann_whitney_sorted(ordered[levels[1]], ordered[levels[0]])
               if kind == "median_iqr"
               else st.welch_test(a, b, sds=(moments[0][1], moments[1][1])))
        row.update(p=res.p, test=res.test, smd=st.smd_continuous(a, b, moments=moments),
                   note=res.note)
    else:
        row.update(p=math.nan, test="", smd=math.nan, note="")
    return [row]


def _bool_rows(data, var, masks, levels) -> list[dict]:
    col = _as_bool(data, var.name).array
    yes_all = col.to_numpy(dtype=bool, na_value=False)
    known_all = ~col.isna()
    row = _base_row(var, "yes", "variable", "n_pct")
    counts = {}
    for scope, mask in masks.items():
        n = int(np.count_nonzero(known_all & mask))
        k = int(np.count_nonzero(yes_all & mask))
        counts[scope] = (k, n)
        _put(row, scope, _count_stats(k, n, int(mask.sum()) - n))
    row["n_missing"] = row[f"{OVERALL}_missing"]
    if len(levels) == 2:
        (kb, nb), (ka, na) = counts[levels[0]], counts[levels[1]]
        res = st.count_test(np.array([[ka, kb], [na - ka, nb - kb]]))
        pa, pb = (ka / na if na else math.nan), (kb / nb if nb else math.nan)
        row.update(p=res.p, test=res.test, smd=st.smd_binary(pa, pb), note=res.note)
    else:
        row.update(p=math.nan, test="", smd=math.nan, note="")
    return [row]


def _category_rows(data, var, masks, levels) -> list[dict]:
    codes, cat_levels = _as_levels(data, var)
    header = _base_row(var, "", "header", "n_pct")
    level_rows = [_base_row(var, lv, "level", "n_pct") for lv in cat_levels]
    tables = {}
    for scope, mask in masks.items():
        counts = np.bincount(codes[mask] + 1, minlength=len(cat_levels) + 1)
        ks = [int(k) for k in counts[1:]]
        n = sum(ks)
        missing = int(counts[0])
        tables[scope] = (np.array(ks), n)
        _put(header, scope, _count_stats(0, n, missing) | {"count": pd.NA, "pct": math.nan})
        for r, k in zip(level_rows, ks, strict=True):
            _put(r, scope, _count_stats(k, n, missing))
    header["n_missing"] = header[f"{OVERALL}_missing"]
    for r in level_rows:
        r.update(n_missing=header["n_missing"], p=math.nan, test="", note="", smd=math.nan)
    if len(levels) == 2:
        (kb, nb), (ka, na) = tables[levels[0]], tables[levels[1]]
        res = st.count_test(np.column_stack([ka, kb]))
        pa = ka / na if na else np.full(len(ka), math.nan)
        pb = kb / nb if nb else np.full(len(kb), math.nan)
        header.update(p=res.p, test=res.test, smd=st.smd_categorical(pa, pb), note=res.note)
        for r, x, y in zip(level_rows, pa, pb, strict=True):
            r["smd"] = st.smd_binary(float(x), float(y))
    else:
        header.update(p=math.nan, test="", smd=math.nan, note="")
    return [header, *level_rows]


def _digits(kind: str, center: float) -> int:
    size = abs(center) if np.isfinite(center) else 1.0
    if size < 1:
        return 2
    if kind == "median_iqr" and size >= 100:
        return 0
    return 1


def _cell(row: pd.Series, scope: str, digits: int) -> str:
    n = row[f"{scope}_n"]
    if row["summary"] == "n_pct":
        if row["row"] == "header" or pd.isna(row[f"{scope}_count"]):
            return ""
        if not n:
            return "0 (–)"
        return f"{int(row[f'{scope}_count']):,} ({row[f'{scope}_pct']:.1f}%)"
    if not n:
        return "–"
    if row["summary"] == "median_iqr":
        return (f"{row[f'{scope}_median']:.{digits}f} [{row[f'{scope}_q1']:.{digits}f}, "
                f"{row[f'{scope}_q3']:.{digits}f}]")
    sd_text = "–" if np.isnan(row[f"{scope}_sd"]) else f"{row[f'{scope}_sd']:.{digits}f}"
    return f"{row[f'{scope}_mean']:.{digits}f} ± {sd_text}"


def _level_label(group: str, level: str) -> str:
    return GROUP_LABELS.get(level, level) if group == GROUP else f"{group}: {level}"


def _format(tidy: pd.DataFrame, scopes: Sequence[str], group: str,
            n_by_scope: dict[str, int]) -> pd.DataFrame:
    heads = {OVERALL: f"Overall (n={format_count(n_by_scope[OVERALL])})"}
    heads |= {lv: f"{_level_label(group, lv)} (n={format_count(n_by_scope[lv])})"
              for lv in scopes[1:]}
    records = []
    for _, row in tidy.iterrows():
        var = VARIABLES[row["variable"]]
        name = var.axis_label
        if row["row"] == "level":
            name = f"{_INDENT}{row['level']}"
        else:
            name = f"{name}, {SUMMARY_TEXT[row['summary']]}"
        center = row[f"{OVERALL}_median"] if row["summary"] == "median_iqr" else row[f"{OVERALL}_mean"]
        digits = _digits(row["summary"], center)
        rec = {"Variable": name}
        rec |= {heads[s]: _cell(row, s, digits) for s in scopes}
        rec["p"] = st.format_p(row["p"])
        rec["Test"] = row["test"]
        rec["SMD"] = st.format_smd(row["smd"])
        rec["Missing"] = "" if row["row"] == "level" else str(int(row["n_missing"]))
        records.append(rec)
    columns = ["Variable", *heads.values(), "p", "Test", "SMD", "Missing"]
    return pd.DataFrame.from_records(records, columns=columns).astype("str")


def table_one(data: pd.DataFrame, *, group: str = GROUP,
              levels: Sequence[str] = GROUP_LEVELS,
              variables: Iterable[str] | None = None) -> TableOneResult:
    """Baseline characteristics overall and by group, with tests and SMDs.

    Parameters
    ----------
    data : pandas.DataFrame
        Validated patient frame (dictionary dtypes). Not modified.
    group : str
        Group column (default ``"calcification"``).
    levels : sequence of str
        Levels to show, in display order; tests and SMDs (``levels[1]`` minus
        ``levels[0]``) are computed when exactly two are given. Default
        ``("none", "spotty")``. A level with no rows gives n = 0 columns, NaN
        p-values and a note.
    variables : iterable of str, optional
        Dictionary variables to show, in this order; default: every ``table1``
        variable present in ``data``.

    Returns
    -------
    TableOneResult
        ``.tidy`` (numbers), ``.formatted`` (display strings), ``.group_n``, ``.notes``.

    Raises
    ------
    AnalysisError
        Unknown group column, level or variable; a column holding values outside
        its dictionary levels.
    """
    data = check_frame(data)
    levels = check_levels(data, group, levels)
    chosen = _resolve_variables(data, group, variables)
    level_masks = {lv: group_mask(data, group, lv) for lv in levels}
    overall = np.logical_or.reduce(list(level_masks.values()))
    masks = {OVERALL: overall, **level_masks}
    group_n = {lv: int(m.sum()) for lv, m in level_masks.items()}
    rows_by_group = np.concatenate([np.flatnonzero(m) for m in level_masks.values()])
    group_bounds = [0, *np.cumsum(list(group_n.values())).tolist()]

    rows: list[dict] = []
    for var in chosen:
        kind = _summary_kind(var)
        if var.is_binary:
            rows += _bool_rows(data, var, masks, levels)
        elif var.is_categorical:
            rows += _category_rows(data, var, masks, levels)
        else:
            rows += _numeric_rows(data, var, masks, levels, kind, rows_by_group, group_bounds)

    scopes = [OVERALL, *levels]
    columns = ["variable", "label", "unit", "level", "row", "summary"]
    columns += [f"{s}_{k}" for s in scopes for k in STATS]
    columns += ["p", "test", "smd", "n_missing", "note"]
    tidy = pd.DataFrame.from_records(rows, columns=columns)
    for col in columns:
        if col.rsplit("_", 1)[-1] in _INT_STATS or col == "n_missing":
            tidy[col] = pd.array(tidy[col].tolist(), dtype="Int64")
        elif col in ("variable", "label", "unit", "level", "row", "summary", "test", "note"):
            tidy[col] = tidy[col].astype("str")
        else:
            tidy[col] = tidy[col].astype("float64")

    notes = [RULES_NOTE, DENOMINATOR_NOTE]
    if len(levels) == 2:
        notes.append(SMD_NOTE.format(a=levels[1], b=levels[0]))
    else:
        notes.append(f"Tests and SMDs need exactly two levels of '{group}'; "
                     f"{len(levels)} were chosen, so none are shown.")
    if (outside := outside_note(data, group, levels)) is not None:
        notes.append(outside)
    for lv, n in group_n.items():
        if n == 0:
            notes.append(f"No rows in group '{lv}': its columns show n = 0 and no "
                         "p-values or SMDs can be computed.")
    for _, r in tidy[tidy["note"] != ""].iterrows():
        label = r["label"] if r["row"] != "level" else f"{r['label']} ({r['level']})"
        notes.append(f"{label}: {r['note']}")

    n_by_scope = {OVERALL: int(overall.sum()), **group_n}
    formatted = _format(tidy, scopes, group, n_by_scope)
    return TableOneResult(tidy=tidy, formatted=formatted, group_n=group_n,
                          notes=tuple(notes), group=group, levels=levels,
                          n_overall=int(overall.sum()))
