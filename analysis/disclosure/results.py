"""Disclosure control of the analysis results other than Table 1.

Each ``redact_*`` function takes a result and a :class:`DisclosureRule` and returns a
copy in which every count is shown as the rule says (a rounded whole number, ``"≤k"``
or ``"redacted"``; count columns become ``object``) and every summary of at most k
patients is withheld (NaN, with a note). The lines each one protects (see
:mod:`analysis.disclosure.cells`) are in its docstring. With the rule off (k = 0,
base 1) the result is returned unchanged.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Hashable, Iterable, Sequence

import numpy as np
import pandas as pd

from analysis.disclosure.cells import protect, shown_count
from analysis.disclosure.rule import DisclosureRule, Shown

_MEANS = ("mean", "sd", "se", "ci_low", "ci_high", "median", "q1", "q3", "t", "df",
          "p_change", "ls_mean", "ls_se", "ls_ci_low", "ls_ci_high", "estimate", "p",
          "fit", "iqr", "whisker_low", "whisker_high", "density", "pct", "x")


def _objects(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    out = frame.reset_index(drop=True).copy()
    for col in columns:
        if col in out.columns:
            out[col] = out[col].astype(object)
    return out


#: ``DataFrame.attrs`` key of the rows (positions) whose summaries are withheld, so a
#: table shows "—" there rather than an empty cell.
WITHHELD_ROWS = "disclosure_withheld_rows"


def _withhold(frame: pd.DataFrame, rows: Sequence[int], columns: Iterable[str] = _MEANS,
              ) -> pd.DataFrame:
    """NaN in the summary ``columns`` of ``rows`` (positions), which are recorded in
    ``frame.attrs[WITHHELD_ROWS]``."""
    if len(rows):
        for col in columns:
            if col in frame.columns and pd.api.types.is_float_dtype(frame[col].dtype):
                frame.loc[list(rows), col] = math.nan
        frame.attrs[WITHHELD_ROWS] = tuple(sorted(
            set(frame.attrs.get(WITHHELD_ROWS, ())) | {int(r) for r in rows}))
    return frame


def _note(notes: Sequence[str], rule: DisclosureRule, withheld: Sequence[str]) -> tuple:
    extra = [rule.caption()]
    if withheld:
        extra.append(f"Estimates {rule.withheld_note()}: {', '.join(withheld)}.")
    return tuple(notes) + tuple(extra)


def redact_counts(values: dict[Hashable, int], rule: DisclosureRule) -> dict[Hashable, Shown]:
    """Counts with no total between them: each on its own (``"≤k"`` or rounded)."""
    return {key: shown_count(int(v), rule) for key, v in values.items()}


# --------------------------------------------------------------------------- attrition
_ATTRITION_COUNTS = ("n", "n_excluded", "n_excluded_missing", "n_missing_kept", "n_none",
                     "n_spotty")


def redact_attrition(attrition: pd.DataFrame, rule: DisclosureRule,
                     n_by_group: dict[str, int] | None = None
                     ) -> tuple[pd.DataFrame, dict[str, Shown], Shown]:
    """(attrition, shown group sizes, shown total) of one selection.

    Lines: each step's n = n_none + n_spotty + others (hidden, unless none are left or
    ``n_by_group`` names other groups at the last step); the previous step's n = this n + n_excluded;
    n_excluded = n_excluded_missing + excluded otherwise (hidden); per group, the
    previous step's count = this one + the group's patients removed by the step
    (hidden: a step removing 3 patients of a group is protected like a shown 3).
    """
    frame = attrition.reset_index(drop=True)
    values: dict = {}
    lines: list = []
    hidden: set = set()
    last = len(frame) - 1
    others = [g for g in (n_by_group or {}) if g not in ("none", "spotty")]
    for i, r in enumerate(zip(*(frame[c].tolist() for c in _ATTRITION_COUNTS), strict=True)):
        r = dict(zip(_ATTRITION_COUNTS, r, strict=True))
        for col in _ATTRITION_COUNTS:
            values[(col, i)] = int(r[col])
        values[("other", i)] = int(r["n"]) - int(r["n_none"]) - int(r["n_spotty"])
        # no "other" patients left is known (the group step says which groups are kept)
        if values[("other", i)] > 0 and not (i == last and others):
            hidden.add(("other", i))
        lines.append((("n", i), [("n_none", i), ("n_spotty", i), ("other", i)]))
        values[("excl_other", i)] = int(r["n_excluded"]) - int(r["n_excluded_missing"])
        hidden.add(("excl_other", i))
        lines.append((("n_excluded", i), [("n_excluded_missing", i), ("excl_other", i)]))
        if i:
            lines.append((("n", i - 1), [("n", i), ("n_excluded", i)]))
            for g in ("n_none", "n_spotty", "other"):
                values[(f"gone_{g}", i)] = values[(g, i - 1)] - values[(g, i)]
                hidden.add((f"gone_{g}", i))
                lines.append(((g, i - 1), [(g, i), (f"gone_{g}", i)]))
    shown = protect(values, lines, rule, hidden)
    out = frame.copy()
    for col in _ATTRITION_COUNTS:
        out[col] = pd.Series([shown[(col, i)] for i in range(len(frame))], dtype=object,
                             index=out.index)
    groups: dict[str, Shown] = {}
    for g in n_by_group or {}:
        key = ("other", last) if g in others else (f"n_{g}", last)
        groups[g] = shown[key] if len(others) <= 1 or g not in others \
            else shown_count(int(n_by_group[g]), rule)
    return out, groups, (shown[("n", last)] if len(frame) else 0)


# --------------------------------------------------------------------------- models
def redact_ancova(fit, rule: DisclosureRule):
    """LS means: n per level (line: n_used = their sum); the LS mean, SE and CI of a
    level with n ≤ k and the contrast are withheld."""
    ls = _objects(fit.ls_means, ("n",))
    values = {("n", i): int(v) for i, v in enumerate(fit.ls_means["n"])}
    values["total"] = int(fit.n_used)
    shown = protect(values, [("total", list(values)[:-1])], rule)
    small = [i for i, v in enumerate(fit.ls_means["n"]) if rule.withholds(int(v))]
    for i in range(len(ls)):
        ls.at[i, "n"] = shown[("n", i)]
    ls = _withhold(ls, small)
    contrast = fit.contrast.reset_index(drop=True).copy()
    if small:
        contrast = _withhold(contrast, list(range(len(contrast))),
                             ("estimate", "se", "ci_low", "ci_high", "t", "p", "df"))
    excluded = fit.excluded
    if isinstance(excluded, pd.DataFrame) and len(excluded):
        excluded = _count_columns(excluded, rule)
    return dataclasses.replace(
        fit, ls_means=ls, contrast=contrast, n_used=shown["total"], excluded=excluded,
        notes=_note(fit.notes, rule, [str(fit.ls_means["level"].iloc[i]) for i in small]))


def _count_columns(frame: pd.DataFrame, rule: DisclosureRule) -> pd.DataFrame:
    """Every whole-number column of ``frame`` as standalone counts."""
    out = frame.reset_index(drop=True).copy()
    for col in out.columns:
        if pd.api.types.is_integer_dtype(out[col].dtype):
            out[col] = pd.Series([shown_count(int(v), rule) for v in out[col]],
                                 dtype=object, index=out.index)
    return out


def redact_subgroups(res, rule: DisclosureRule):
    """Forest rows: n_none and n_spotty per level; per variable and group, the overall
    row's n = the sum of the levels + the patients with the variable missing (hidden).
    The estimate, CI and p of a level with a group of n ≤ k are withheld."""
    table = res.table.reset_index(drop=True)
    values: dict = {}
    lines: list = []
    hidden: set = set()
    for i, r in table.iterrows():
        for g in ("n_none", "n_spotty"):
            values[(g, i)] = int(r[g])
    overall = table.index[table["variable"] == "Overall"]
    if len(overall):
        o = int(overall[0])
        for var, rows in table.groupby("variable", sort=False).groups.items():
            if var == "Overall":
                continue
            for g in ("n_none", "n_spotty"):
                gap = values[(g, o)] - sum(values[(g, int(i))] for i in rows)
                values[(g, "missing", var)] = max(gap, 0)
                hidden.add((g, "missing", var))
                lines.append(((g, o), [(g, int(i)) for i in rows] + [(g, "missing", var)]))
    shown = protect(values, lines, rule, hidden)
    out = _objects(table, ("n_none", "n_spotty"))
    for i in range(len(out)):
        out.at[i, "n_none"] = shown[("n_none", i)]
        out.at[i, "n_spotty"] = shown[("n_spotty", i)]
    small = [i for i, r in table.iterrows()
             if rule.withholds(int(r["n_none"])) or rule.withholds(int(r["n_spotty"]))]
    out = _withhold(out, small, ("estimate", "ci_low", "ci_high", "p", "se"))
    if "note" in out.columns:
        for i in small:
            out.at[i, "note"] = rule.withheld_note()
    labels = [f"{table.at[i, 'label']} {table.at[i, 'level']}".strip() for i in small]
    return dataclasses.replace(res, table=out, notes=_note(res.notes, rule, labels))


def redact_dose_response(res, rule: DisclosureRule):
    """Categories: n each (line: n_used = their sum); the means of a category with
    n ≤ k are withheld."""
    table = _objects(res.table, ("n",))
    values = {i: int(v) for i, v in enumerate(res.table["n"])}
    values["total"] = int(res.n_used)
    shown = protect(values, [("total", list(range(len(table))))], rule)
    small = [i for i in range(len(table)) if rule.withholds(values[i])]
    for i in range(len(table)):
        table.at[i, "n"] = shown[i]
    table = _withhold(table, small)
    cats = [str(res.table["category"].iloc[i]) for i in small]
    return dataclasses.replace(res, table=table, n_used=shown["total"],
                               notes=_note(res.notes, rule, cats))


def redact_interaction(res, rule: DisclosureRule):
    """Group x therapy cells: n each; lines: n_used = all cells, each group's and each
    therapy level's total = its cells (those totals are taken as known: the group sizes
    are shown elsewhere, and a therapy filter's attrition step gives the other). The
    LS means of a cell with n ≤ k, and every simple effect that uses it, are withheld."""
    cells = res.cells.reset_index(drop=True)
    values: dict = {i: int(v) for i, v in enumerate(cells["n"])}
    values["total"] = int(res.n_used)
    lines: list = [("total", list(range(len(cells))))]
    fixed: set = set()
    for col in ("group", "modifier_level"):
        for key, rows in cells.groupby(col, sort=False).groups.items():
            values[(col, key)] = sum(values[int(i)] for i in rows)
            fixed.add((col, key))
            lines.append(((col, key), [int(i) for i in rows]))
    shown = protect(values, lines, rule, fixed=fixed)
    out = _objects(cells, ("n",))
    for i in range(len(out)):
        out.at[i, "n"] = shown[i]
    small = [i for i in range(len(out)) if rule.withholds(values[i])]
    out = _withhold(out, small)
    groups = {str(cells.at[i, "group"]) for i in small}
    mods = {str(cells.at[i, "modifier_level"]) for i in small}
    effects = res.simple_effects.reset_index(drop=True).copy()
    # a therapy effect within a group uses that group's cells; a group effect within a
    # therapy level uses that level's cells
    hit = [i for i, r in effects.iterrows()
           if str(r["within"]) in (groups if str(r["effect"]).startswith("therapy")
                                   else mods)]
    effects = _withhold(effects, hit, ("estimate", "se", "ci_low", "ci_high", "t", "p"))
    labels = [f"{cells.at[i, 'group']} / {cells.at[i, 'modifier_level']}" for i in small]
    return dataclasses.replace(res, cells=out, simple_effects=effects,
                               n_used=shown["total"], notes=_note(res.notes, rule, labels))


def redact_n_used(res, rule: DisclosureRule, field: str = "n_used"):
    """A result whose only count is ``field`` (the patients in a model)."""
    value = getattr(res, field)
    return dataclasses.replace(res, **{field: shown_count(int(value), rule)})


def redact_sensitivity(table: pd.DataFrame, rule: DisclosureRule) -> pd.DataFrame:
    """The sensitivity table: the n of each analysis (standalone counts)."""
    out = _objects(table, ("n",))
    out["n"] = [shown_count(int(v), rule) if pd.notna(v) else v for v in table["n"]]
    return out


# --------------------------------------------------------------------------- descriptive
def redact_progression(res, rule: DisclosureRule):
    """Change by group: n (line: the group's size = n + n_missing, the size shown
    elsewhere as it is), n_regression (line: n = n_regression + the rest, hidden);
    % regression recomputed from the shown counts (withheld when one is suppressed);
    the summaries of a group with n ≤ k, the regression test when a count is
    suppressed and the difference when a group is withheld."""
    by = res.by_group.reset_index(drop=True)
    values: dict = {}
    lines: list = []
    hidden: set = set()
    fixed: set = set()
    for i, r in by.iterrows():
        n, miss, reg = int(r["n"]), int(r["n_missing"]), int(r["n_regression"])
        values |= {("n", i): n, ("n_missing", i): miss, ("n_regression", i): reg,
                   ("rest", i): n - reg, ("size", i): n + miss}
        hidden.add(("rest", i))
        fixed.add(("size", i))
        lines += [(("n", i), [("n_regression", i), ("rest", i)]),
                  (("size", i), [("n", i), ("n_missing", i)])]
    shown = protect(values, lines, rule, hidden, fixed)
    out = _objects(by, ("n", "n_missing", "n_regression"))
    for i in range(len(out)):
        for col in ("n", "n_missing", "n_regression"):
            out.at[i, col] = shown[(col, i)]
        reg, n = shown[("n_regression", i)], shown[("n", i)]
        ok = not isinstance(reg, str) and not isinstance(n, str) and n
        out.at[i, "pct_regression"] = 100.0 * reg / n if ok else math.nan
    small = [i for i in range(len(by)) if rule.withholds(values[("n", i)])]
    out = _withhold(out, small, [c for c in _MEANS if c != "pct"] + ["pct_regression"])
    reg_test = res.regression_test.copy()
    if any(isinstance(shown[("n_regression", i)], str) for i in range(len(by))) or small:
        reg_test = _withhold(reg_test.reset_index(drop=True), list(range(len(reg_test))),
                             ("statistic", "p", "df"))
    diff = res.difference_test.reset_index(drop=True).copy()
    if small:
        diff = _withhold(diff, list(range(len(diff))),
                         ("estimate", "se", "df", "ci_low", "ci_high", "t", "p"))
    if "n" in diff.columns:
        diff = _objects(diff, ("n",))
        diff["n"] = [shown_count(int(v), rule) for v in res.difference_test["n"]]
    missing = {lv: shown[("n_missing", i)] for i, lv in enumerate(by["level"])
               if lv in res.n_missing}
    return dataclasses.replace(
        res, by_group=out, regression_test=reg_test, difference_test=diff,
        n_missing=missing | {k: shown_count(v, rule) for k, v in res.n_missing.items()
                             if k not in missing},
        notes=_note(res.notes, rule, [str(by.at[i, "level"]) for i in small]))


def redact_distribution(frame: pd.DataFrame, kind: str, rule: DisclosureRule) -> pd.DataFrame:
    """A distribution summary by group (histogram, box, kde, ecdf, paired means).

    n and n_missing of each group are counts on their own; the whole summary of a group
    with n ≤ k is withheld. Histogram bins: per group, n = the sum of the bin counts
    (a suppressed bin draws no bar; density and % recomputed from the shown counts).
    Box plots show no single patients' values (the outliers) while the rule is on.
    ECDF: the cumulative count behind each step is rounded and divided by the shown n;
    a step with 1 to k patients at or below it, or above it, is withheld.
    """
    out = _objects(frame, ("n", "n_missing", "count", "n_outliers"))
    if not len(out):
        return out
    small = [i for i, v in enumerate(frame["n"]) if rule.withholds(int(v))]
    out["n"] = [shown_count(int(v), rule) for v in frame["n"]]
    if "n_missing" in out.columns:
        out["n_missing"] = [shown_count(int(v), rule) for v in frame["n_missing"]]
    if kind == "histogram":
        out = _histogram(frame, out, rule)
    if kind == "ecdf":
        out = _ecdf(frame, out, rule)
    if kind == "box":
        out["n_outliers"] = [shown_count(int(v), rule) for v in frame["n_outliers"]]
        if rule.k > 0:
            out["outliers"] = [() for _ in range(len(out))]
    return _withhold(out, small, [c for c in out.columns if c not in (
        "left", "right", "bin", "level", "time", "variable", "bandwidth")])


def _ecdf(frame: pd.DataFrame, out: pd.DataFrame, rule: DisclosureRule) -> pd.DataFrame:
    n = frame["n"].to_numpy(float)
    below = np.rint(frame["p"].to_numpy(float) * n)
    shown_n = np.array([v if isinstance(v, int) else 0 for v in out["n"]], dtype=float)
    p = np.array([rule.round(int(c)) for c in np.nan_to_num(below)], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(shown_n > 0, p / shown_n, np.nan)
    small = ((below > 0) & (below <= rule.k)) | ((n - below > 0) & (n - below <= rule.k))
    out["p"] = np.where(small | np.isnan(below), np.nan, np.minimum(p, 1.0))
    return out


def _histogram(frame: pd.DataFrame, out: pd.DataFrame, rule: DisclosureRule) -> pd.DataFrame:
    counts = frame["count"].to_numpy(int)
    ns = frame["n"].to_numpy(int)
    widths = (frame["right"] - frame["left"]).to_numpy(float)
    levels = frame["level"].astype(str).to_numpy()
    shown: list = [None] * len(frame)
    totals: list = [None] * len(frame)
    for level in dict.fromkeys(levels):
        idx = np.flatnonzero(levels == level).tolist()
        values = {i: int(counts[i]) for i in idx}
        values["n"] = int(ns[idx[0]])
        cells = protect(values, [("n", idx)], rule)
        for i in idx:
            shown[i], totals[i] = cells[i], cells["n"]
    ok = np.array([not isinstance(c, str) and not isinstance(t, str) and bool(t)
                   for c, t in zip(shown, totals, strict=True)])
    c = np.array([v if isinstance(v, int) else 0 for v in shown], dtype=float)
    t = np.array([v if isinstance(v, int) and v else 1 for v in totals], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["density"] = np.where(ok & (widths > 0), c / (t * widths), np.nan)
        out["pct"] = np.where(ok, 100.0 * c / t, np.nan)
    out["count"] = pd.Series(shown, dtype=object, index=out.index)
    return out


def total_shown(values: Iterable[Shown]) -> Shown:
    """A sum of shown counts, or the first marker when one is suppressed."""
    vals = list(values)
    marks = [v for v in vals if isinstance(v, str)]
    return marks[0] if marks else int(np.sum(vals))


__all__ = ["redact_ancova", "redact_attrition", "redact_counts", "redact_distribution",
           "redact_dose_response", "redact_interaction", "redact_n_used",
           "redact_progression", "redact_sensitivity", "redact_subgroups", "total_shown"]
