"""What each page contributes to a :class:`~reports.view.View` (figures, tables,
methods, numbers), from the same cached results and figure factories as the page.

Every view also gets :func:`add_common`: Table 1 and the ANCOVA of the view's outcome
(LS means and the spotty - none contrast), whose numbers the scripts reproduce.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pandas as pd

from analysis.data.schema import GROUP, GROUP_LABELS, PATIENT_VARIABLES, get
from analysis.display import format_count, format_exact, format_num, format_p
from analysis.service import api
from analysis.service.model_options import picked_covariates
from components import figures as F
from reports import view_definition
from reports.view import FigureItem, TableItem, View, footnote

#: Covariates the comparison page offers (the page's definition).
COVARIATE_CHOICES = tuple(
    v.name for v in PATIENT_VARIABLES
    if v.role in ("design", "risk_factor", "laboratory", "blood_pressure", "medication")
    and v.name != GROUP)
#: Therapy flags of the therapy page: (flag, measurement, cut attribute of the spec).
MODIFIERS = (("ldl_intensive", "ldl_c", "ldl_cut"), ("sbp_intensive", "sbp", "sbp_cut"))
CHART_METHOD = {
    "histogram": "Histogram of patient values on a common bin grid (density).",
    "box": "Box: quartiles, whiskers at the last value within 1.5 IQR.",
    "ecdf": "Empirical cumulative distribution on a 200-point grid.",
}
_STAT_LABELS = {"ls_mean": "LS mean", "se": "SE", "ci_low": "CI low", "ci_high": "CI high"}


def display(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """``frame``'s ``columns`` renamed and formatted as text (p as ``"< 0.001"``)."""
    out = {}
    for col, title in columns.items():
        if col not in frame.columns:
            continue
        s = frame[col]
        if col == "p" or col.startswith("p_"):
            out[title] = [format_p(v) for v in s]
        elif col == "n" or col.startswith("n_"):
            out[title] = [format_count(v) for v in s]
        elif pd.api.types.is_numeric_dtype(s.dtype):
            out[title] = [format_num(v, 3) for v in s]
        else:
            out[title] = ["" if pd.isna(v) else str(v) for v in s]
    return pd.DataFrame(out)


def _fail(view: View, what: str, computed) -> None:
    view.notes.append(f"{what}: {computed.error}")


# --------------------------------------------------------------------------- common
def add_common(view: View) -> None:
    """Table 1 and the ANCOVA of the view's outcome (tables, methods, numbers)."""
    t1 = api.table_one(view.fingerprint, view.filter_query)
    if t1.ok:
        view.tables.append(TableItem("table1", "Table 1. Baseline characteristics",
                                     t1.value.formatted.astype(str)))
        tests = sorted({str(t) for t in t1.value.tidy["test"].dropna() if str(t)})
        view.add_method("Table 1: mean ± SD or median [IQR], n (%); p spotty vs none by "
                        f"{', '.join(tests)}; percentages of non-missing values.")
        for _i, row in t1.value.tidy.iterrows():
            if pd.notna(row["p"]) and row["row"] in ("variable", "header"):
                view.numbers[f"table1 p {row['variable']}"] = float(row["p"])
                view.table1_tests[str(row["variable"])] = str(row["test"])
    else:
        _fail(view, "Table 1", t1)
    res = api.ancova(view.fingerprint, view.filter_query, view.model.outcome,
                     diagnostics=False, **view.model.api_options())
    if not res.ok:
        _fail(view, "ANCOVA", res)
        return
    fit = res.value
    view.model = dataclasses.replace(view.model, covariates=tuple(fit.covariates))
    unit = get(view.model.outcome).unit
    ls = fit.ls_means.assign(group=fit.ls_means["level"].map(
        lambda g: GROUP_LABELS.get(str(g), str(g))))
    kind = "LS mean" if fit.covariates else "Mean"
    view.tables.append(TableItem(
        "ls_means", f"{kind}s of {get(view.model.outcome).label} ({unit}) by group",
        display(ls, {"group": "Group", "n": "n", "ls_mean": f"{kind} ({unit})", "se": "SE",
                     "ci_low": "95% CI low", "ci_high": "95% CI high"}),
        note=_contrast_text(fit, unit)))
    view.add_method(fit.method)
    for _i, row in fit.ls_means.iterrows():
        for col, label in _STAT_LABELS.items():
            view.numbers[f"ancova {label} {row['level']}"] = float(row[col])
    con = fit.contrast.iloc[0]
    for col, label in (("estimate", "estimate"), ("se", "SE"), ("ci_low", "CI low"),
                       ("ci_high", "CI high"), ("p", "p")):
        view.numbers[f"ancova spotty - none {label}"] = float(con[col])
    if not isinstance(fit.n_used, str):  # a suppressed count is no number
        view.numbers["ancova n used"] = float(fit.n_used)


def _contrast_text(fit, unit: str) -> str:
    con = fit.contrast.iloc[0]
    return (f"Difference spotty - none: {format_num(con['estimate'], 3)} {unit} (95% CI "
            f"{format_num(con['ci_low'], 3)} to {format_num(con['ci_high'], 3)}), "
            f"{format_p(con['p'], prefix=True)} ({con['test']}).")


def _ls_figure(view: View, stem: str) -> None:
    res = api.ancova(view.fingerprint, view.filter_query, view.model.outcome,
                     diagnostics=False, **view.model.api_options())
    if not res.ok:
        return
    fit = res.value
    fig = F.make_ls_means_figure(fit, outcome=view.model.outcome, adjusted=bool(fit.covariates))
    kind = "LS means" if fit.covariates else "Means"
    view.figures.append(FigureItem(stem, f"{kind} of {get(view.model.outcome).label} by group",
                                   fig, footnote(res, fit.n_used, fit.method)))


# --------------------------------------------------------------------------- pages
def overview(view: View) -> None:
    """Overview: the headline LS means of ΔPAV."""
    _ls_figure(view, "dpav_ls_means")


def baseline(view: View) -> None:
    """Baseline: Table 1 only (added by :func:`add_common`)."""


def data(view: View) -> None:
    """Data: the rows are the kit's CSV; nothing else to add."""


def progression(view: View) -> None:
    """Progression: distribution, baseline vs follow-up, % regression, dose-response."""
    fp, q, outcome = view.fingerprint, view.filter_query, view.model.outcome
    chart = view.options.get("chart", "histogram")
    chart = chart if chart in CHART_METHOD else "histogram"
    dist = api.distribution(fp, q, outcome, kind=chart)
    factory = {"histogram": F.make_histogram_figure, "box": F.make_box_figure,
               "ecdf": F.make_ecdf_figure}[chart]
    label = get(outcome).label
    if dist.ok:
        view.figures.append(FigureItem("progression_distribution", f"Distribution of {label}",
                                       factory(dist.value, outcome=outcome),
                                       footnote(dist, view.n, CHART_METHOD[chart])))
    paired = api.paired(fp, q, outcome)
    if paired.ok:
        method = "Mean and 95% CI (t distribution) at baseline and follow-up."
        view.figures.append(FigureItem(
            "baseline_vs_followup", "Baseline and follow-up",
            F.make_paired_figure(paired.value, variable=get(outcome).baseline),
            footnote(paired, view.n, method)))
    summary = api.progression(fp, q, outcome)
    if summary.ok:
        r = summary.value.regression_test.iloc[0]
        method = (f"Regression = {label} < 0; spotty vs none {format_p(r['p'], prefix=True)} "
                  f"({r['test']}).")
        view.add_method(method)
        view.figures.append(FigureItem("pct_regression", "Patients with regression",
                                       F.make_regression_figure(summary.value),
                                       footnote(summary, view.n, method)))
    dose = api.dose_response(fp, q, outcome, weights=view.model.weights, means=view.model.means)
    if dose.ok:
        d = dose.value
        method = f"{d.method}. Trend: {format_p(d.p_trend, prefix=True)} ({d.trend_test})."
        view.add_method(method)
        view.figures.append(FigureItem(
            "dose_response_spotty_deposits", f"{label} by number of spotty deposits",
            F.make_dose_response_figure(d, outcome=outcome, adjusted=view.model.means != "raw"),
            footnote(dose, d.n_used, method)))


def comparison(view: View) -> None:
    """Comparison: LS means and the subgroup forest plot with its rows."""
    _ls_figure(view, "ls_means_by_group")
    sub = api.subgroups(view.fingerprint, view.filter_query, view.model.outcome,
                        **view.model.api_options())
    if not sub.ok:
        _fail(view, "Subgroups", sub)
        return
    s = sub.value
    view.add_method(s.method)
    view.figures.append(FigureItem(
        "subgroup_forest", "Subgroups: spotty - none difference",
        F.make_forest_figure(s, outcome=view.model.outcome),
        footnote(sub, sub.selection.n, s.method)))
    view.tables.append(TableItem("forest", "Subgroup effects (spotty - none)", display(
        s.table, {"label": "Subgroup", "level": "Level", "n_none": "n none",
                  "n_spotty": "n spotty", "estimate": "Difference", "ci_low": "95% CI low",
                  "ci_high": "95% CI high", "p": "p", "p_interaction": "p interaction"})))


def therapy(view: View) -> None:
    """Therapy: group x intensity LS means, simple effects, continuous modifiers."""
    fp, q, outcome = view.fingerprint, view.filter_query, view.model.outcome
    kwargs = view.model.api_options() | {"covariates": None}
    for flag, measure, cut_attr in MODIFIERS:
        var = get(measure)
        cut = getattr(view.model, cut_attr)
        mod_label = f"{var.label} therapy (intensive: < {format_exact(cut)} {var.unit})"
        inter = api.interaction(fp, q, outcome, flag, **kwargs)
        if inter.ok:
            _interaction(view, inter, flag, var.label, mod_label)
        else:
            _fail(view, f"{var.label} interaction", inter)
        cont = api.continuous_interaction(fp, q, outcome, flag, **kwargs)
        if cont.ok:
            c = cont.value
            method = (f"{c.method}. Interaction {format_p(c.p_interaction, prefix=True)} "
                      f"({c.interaction_test}).")
            view.add_method(method)
            view.numbers[f"{measure} continuous interaction p"] = float(c.p_interaction)
            view.figures.append(FigureItem(
                f"{measure}_continuous_interaction", f"{get(outcome).label} across {var.label}",
                F.make_continuous_interaction_figure(c, outcome=outcome, modifier=measure,
                                                     cut=cut),
                footnote(cont, c.n_used, method)))


def _interaction(view: View, inter, flag: str, label: str, mod_label: str) -> None:
    fit = inter.value
    method = (f"{fit.method}. Interaction {format_p(fit.p_interaction, prefix=True)} "
              f"({fit.interaction_test}).")
    view.add_method(method)
    view.figures.append(FigureItem(
        f"{flag}_interaction", f"Group × {label} therapy",
        F.make_interaction_figure(fit, outcome=view.model.outcome, modifier_label=mod_label),
        footnote(inter, fit.n_used, method)))
    view.tables.append(TableItem(f"{flag}_cells", f"LS means by group and {label} therapy",
                                 display(fit.cells, {"group": "Group",
                                                     "modifier_level": "Therapy", "n": "n",
                                                     "ls_mean": "LS mean", "se": "SE",
                                                     "ci_low": "95% CI low",
                                                     "ci_high": "95% CI high"})))
    view.tables.append(TableItem(
        f"{flag}_simple_effects", f"Simple effects: {label} therapy",
        display(fit.simple_effects, {"effect": "Effect", "within": "Within",
                                     "contrast": "Contrast", "estimate": "Estimate",
                                     "se": "SE", "ci_low": "95% CI low",
                                     "ci_high": "95% CI high", "p": "p"}),
        note=f"Interaction {format_p(fit.p_interaction, prefix=True)} "
             f"({fit.interaction_test})."))
    view.numbers[f"{flag} interaction p"] = float(fit.p_interaction)
    for _i, row in fit.cells.iterrows():
        for col, stat in _STAT_LABELS.items():
            view.numbers[f"{flag} {stat} {row['group']} {row['modifier_level']}"] = float(row[col])
    for _i, row in fit.simple_effects.iterrows():
        for col, stat in (("estimate", "estimate"), ("se", "SE"), ("p", "p")):
            view.numbers[f"{flag} effect {row['within']} {row['contrast']} {stat}"] = float(row[col])


def comparison_covariates(outcome: str, covar: str) -> tuple[str, ...]:
    """The comparison page's covariates for a ``covar=`` option."""
    return picked_covariates(outcome, [c for c in covar.split(",") if c], COVARIATE_CHOICES)


PAGES: dict[str, Callable[[View], None]] = {
    "/": overview, "/baseline": baseline, "/progression": progression,
    "/comparison": comparison, "/therapy": therapy, "/data": data,
    "/definition": view_definition.definition,
}
