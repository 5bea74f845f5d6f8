"""Disclosure control of Table 1 (:class:`analysis.stats.table_one.TableOneResult`).

The cells and their lines (see :mod:`analysis.disclosure.cells`):

* group sizes: overall = none + spotty (the column headers);
* per variable and column: non-missing n + missing = the group's size;
* yes/no rows: n = "yes" + "no" (the "no" count is hidden: it is n minus "yes");
* categories: n = the sum of the level counts;
* across the columns of every row: overall = the sum of the groups, for the counts, the
  non-missing n and the missing counts.

Percentages are recomputed from the rounded count and the rounded denominator, and
withheld when either is suppressed. Summaries (mean ± SD, median [IQR]) of a column
with 1 to k values are withheld (``"—"``); so is that row's overall column (it would
give the small group's mean from the other group's), its p-value and SMD. The p-value
and SMD of a yes/no or categorical variable with a suppressed count are withheld too
(the test statistic with known margins would give the hidden cell back). Every
withheld item is named in the notes.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from analysis.data.schema import VARIABLES
from analysis.disclosure.cells import protect
from analysis.disclosure.rule import REDACTED, WITHHELD, DisclosureRule, Shown
from analysis.display import format_count
from analysis.stats import hypothesis_tests as st
from analysis.stats.table_one import (
    _INDENT,
    OVERALL,
    SUMMARY_TEXT,
    TableOneResult,
    _digits,
    _level_label,
)

_SUMMARIES = ("mean", "sd", "median", "q1", "q3")


def _cells(tidy: pd.DataFrame | list[dict], scopes: list[str], group_n: dict[str, int]):
    """(values, lines, hidden, header of each level row) of Table 1 (its tidy frame, or
    that frame's records); keys are (kind, row position, scope)."""
    records = _records(tidy) if isinstance(tidy, pd.DataFrame) else tidy
    values: dict = {("group", s): int(group_n[s]) for s in scopes}
    lines: list = [(("group", OVERALL), [("group", s) for s in scopes[1:]])]
    hidden: set = set()
    header_of: dict[int, int] = {}
    header = -1
    for i, row in enumerate(records):
        binary = row["row"] == "variable" and row["summary"] == "n_pct"
        if row["row"] == "header":
            header = i
        if row["row"] == "level":
            header_of[i] = header
            kinds: tuple[str, ...] = ("count",)
        else:
            kinds = ("n", "missing", "count") if binary else ("n", "missing")
        for s in scopes:
            for kind in kinds:
                values[(kind, i, s)] = int(row[f"{s}_{kind}"])
            if row["row"] != "level":
                lines.append((("group", s), [("n", i, s), ("missing", i, s)]))
            if binary:
                values[("no", i, s)] = values[("n", i, s)] - values[("count", i, s)]
                hidden.add(("no", i, s))
                lines.append((("n", i, s), [("count", i, s), ("no", i, s)]))
        for kind in (*kinds, "no") if binary else kinds:
            lines.append(((kind, i, OVERALL), [(kind, i, s) for s in scopes[1:]]))
    for h in set(header_of.values()):
        rows = [j for j, hh in header_of.items() if hh == h]
        lines += [(("n", h, s), [("count", j, s) for j in rows]) for s in scopes]
    return values, lines, hidden, header_of


def _records(frame: pd.DataFrame) -> list[dict]:
    """The rows of ``frame`` as dicts (column by column: faster than ``to_dict``)."""
    names = list(frame.columns)
    columns = [frame[c].tolist() for c in names]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def _frame(rows: list[dict], like: pd.DataFrame) -> pd.DataFrame:
    """``rows`` as a frame with ``like``'s columns: counts as objects, the rest as there."""
    data = {}
    for col in like.columns:
        values = [r[col] for r in rows]
        if col.endswith(("_n", "_count", "_missing")) or col == "n_missing":
            data[col] = pd.Series(values, dtype=object)
        elif pd.api.types.is_float_dtype(like[col].dtype):
            data[col] = pd.Series(np.asarray(values, dtype=float))
        else:
            data[col] = pd.Series(pd.array(values, dtype=like[col].dtype))
    return pd.DataFrame(data)


def _pct(count: Shown, n: Shown) -> float:
    if isinstance(count, str) or isinstance(n, str) or not n:
        return math.nan
    return 100.0 * count / n


def redact_table_one(res: TableOneResult, rule: DisclosureRule) -> TableOneResult:
    """Table 1 with the rule applied to ``tidy``, ``formatted``, ``group_n`` and notes.

    Counts in ``tidy`` become objects: a rounded whole number or a marker (``"≤7"``,
    ``"redacted"``); withheld statistics are NaN. ``group_n`` holds the shown sizes.
    """
    if not rule.active:
        return res
    tidy = res.tidy.reset_index(drop=True)
    scopes = [OVERALL, *res.levels]
    group_n = {OVERALL: int(res.n_overall), **{lv: int(n) for lv, n in res.group_n.items()}}
    raw = _records(tidy)
    values, lines, hidden, header_of = _cells(raw, scopes, group_n)
    shown = protect(values, lines, rule, hidden)
    rows = [dict(r) for r in raw]
    withheld_rows: list[str] = []
    note = rule.withheld_note()
    for i, (row, out) in enumerate(zip(raw, rows, strict=True)):
        src = header_of.get(i, i)
        for s in scopes:
            out[f"{s}_n"] = shown[("n", src, s)]
            out[f"{s}_missing"] = shown[("missing", src, s)]
            if ("count", i, s) in shown:
                out[f"{s}_count"] = shown[("count", i, s)]
                out[f"{s}_pct"] = _pct(shown[("count", i, s)], shown[("n", src, s)])
        out["n_missing"] = shown[("missing", src, OVERALL)]
        if row["summary"] != "n_pct":
            small = {s for s in scopes if rule.withholds(int(row[f"{s}_n"]))}
            if small:
                for s in small | {OVERALL}:
                    out |= {f"{s}_{stat}": math.nan for stat in _SUMMARIES}
                out |= {"p": math.nan, "smd": math.nan, "note": note}
                withheld_rows.append(str(row["label"]))
        elif row["row"] != "level":
            block = [i, *(j for j, h in header_of.items() if h == i)]
            if any(isinstance(shown[("count", j, s)], str)
                   for j in block for s in scopes if ("count", j, s) in shown):
                out |= {"p": math.nan, "smd": math.nan, "note": note}
                for j in block[1:]:
                    rows[j] |= {"smd": math.nan, "note": note}
                withheld_rows.append(str(row["label"]))
    out_frame = _frame(rows, tidy)
    shown_groups = {s: shown[("group", s)] for s in scopes}
    notes = list(res.notes) + [rule.caption()]
    if withheld_rows:
        notes.append(f"Withheld ({WITHHELD}) because a column holds at most {rule.k} "
                     f"values or a count is suppressed: {', '.join(withheld_rows)} "
                     "(summaries, p-value and SMD).")
    return dataclasses.replace(
        res, tidy=out_frame, formatted=format_table(rows, scopes, res.group, shown_groups,
                                                    digits_from=raw),
        group_n={lv: shown_groups[lv] for lv in res.levels}, notes=tuple(notes))


def _n_text(n: Shown) -> str:
    if n == REDACTED:
        return "n redacted"
    if isinstance(n, str):
        return f"n {n.replace('≤', '≤ ')}"
    return f"n={format_count(n)}"


def _cell(row: dict, scope: str, digits: int, withheld: bool) -> str:
    n = row[f"{scope}_n"]
    if row["summary"] == "n_pct":
        count = row[f"{scope}_count"]
        if row["row"] == "header" or count is None or (not isinstance(count, str)
                                                       and pd.isna(count)):
            return ""
        if isinstance(count, str):
            return count
        if isinstance(n, str):
            return f"{count:,} ({WITHHELD})"
        if not n:
            return "0 (–)"
        return f"{count:,} ({row[f'{scope}_pct']:.1f}%)"
    if not np.isfinite(row[f"{scope}_mean"]):
        return WITHHELD if withheld else "–"
    if row["summary"] == "median_iqr":
        return (f"{row[f'{scope}_median']:.{digits}f} [{row[f'{scope}_q1']:.{digits}f}, "
                f"{row[f'{scope}_q3']:.{digits}f}]")
    sd_text = "–" if np.isnan(row[f"{scope}_sd"]) else f"{row[f'{scope}_sd']:.{digits}f}"
    return f"{row[f'{scope}_mean']:.{digits}f} ± {sd_text}"


def format_table(tidy: pd.DataFrame | list[dict], scopes: list[str], group: str,
                 n_by_scope: dict[str, Shown],
                 digits_from: pd.DataFrame | list[dict] | None = None) -> pd.DataFrame:
    """The display table of a redacted ``tidy`` (the columns of ``TableOneResult.formatted``;
    group headers read ``"(n ≤ 7)"`` or ``"(n redacted)"`` when suppressed). Decimals
    follow the overall centre of ``digits_from`` (the table before withholding, so a
    withheld overall column does not change them)."""
    rows = _records(tidy) if isinstance(tidy, pd.DataFrame) else tidy
    source = rows if digits_from is None else (
        _records(digits_from) if isinstance(digits_from, pd.DataFrame) else digits_from)
    heads = {OVERALL: f"Overall ({_n_text(n_by_scope[OVERALL])})"}
    heads |= {lv: f"{_level_label(group, lv)} ({_n_text(n_by_scope[lv])})"
              for lv in scopes[1:]}
    records = []
    for row, orig in zip(rows, source, strict=True):
        var = VARIABLES[row["variable"]]
        if row["row"] == "level":
            name = f"{_INDENT}{row['level']}"
        else:
            name = f"{var.axis_label}, {SUMMARY_TEXT[row['summary']]}"
        center = orig[f"{OVERALL}_median"] if row["summary"] == "median_iqr" \
            else orig[f"{OVERALL}_mean"]
        digits = _digits(row["summary"], center)
        withheld = str(row["note"]).startswith("withheld: n ≤")
        rec = {"Variable": name}
        rec |= {heads[s]: _cell(row, s, digits, withheld) for s in scopes}
        rec["p"] = WITHHELD if withheld and row["row"] != "level" else st.format_p(row["p"])
        rec["Test"] = row["test"]
        rec["SMD"] = WITHHELD if withheld else st.format_smd(row["smd"])
        missing = row["n_missing"]
        rec["Missing"] = "" if row["row"] == "level" else (
            missing if isinstance(missing, str) else str(int(missing)))
        records.append(rec)
    columns = ["Variable", *heads.values(), "p", "Test", "SMD", "Missing"]
    return pd.DataFrame.from_records(records, columns=columns).astype("str")


__all__ = ["format_table", "redact_table_one"]
