"""The Sensitivity section of a view: what the Comparison page's "Sensitivity" shows.

:func:`add_sensitivity` adds to a :class:`~reports.view.View` (section
:data:`SECTION`):

* the forest of the spotty - none difference under the main model and each sensitivity
  analysis (main OLS, HC3, random trial intercept or its fixed-effect fall-back,
  propensity-score weighting, multiple imputation, deposit trend contrast), drawn by
  :func:`components.sensitivity_figures.make_sensitivity_forest_figure`;
* the table of estimate, 95% CI, p with its test, and n of each analysis;
* the propensity-score balance plot (SMD before and after weighting) and its table;

each with a caption naming the models, covariates, weighting, n and the settings in
force (weight truncation, number of imputations, seed). The numbers come from the cached
entry points :func:`analysis.service.api.sensitivity` and
:func:`analysis.service.api.propensity`, so the kit shows exactly the page's numbers;
those of HC3 and of the propensity weighting also go into :attr:`View.numbers`, which
the Python and R scripts reproduce.

The display tables are built by small functions (:func:`estimates_frame`,
:func:`balance_frame`) so that a later step (disclosure control) can wrap them.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd

from analysis.data.schema import get
from analysis.display import format_count, format_num, format_p
from analysis.progress import reporting
from analysis.service import api
from analysis.stats.sensitivity.common import CONTRAST
from analysis.stats.sensitivity.mixed import ANALYSIS as RANDOM_TRIAL
from analysis.stats.sensitivity.propensity import ANALYSIS as PROPENSITY
from analysis.stats.sensitivity.robust import ANALYSIS as HC3
from components.sensitivity_figures import (
    make_balance_figure,
    make_sensitivity_forest_figure,
    term_label,
)
from reports.view import FigureItem, TableItem, View, footnote

SECTION = "Sensitivity"
#: Figure keys of the section (as the Comparison page names its figure blocks).
FOREST_KEY, BALANCE_KEY = "sensitivity_forest", "propensity_balance"
FIGURE_KEYS = (FOREST_KEY, BALANCE_KEY)
#: Pages whose kit holds the section unless asked otherwise.
DEFAULT_PAGES = ("/comparison",)
#: Labels of :attr:`View.numbers` the scripts reproduce: analysis row -> label stem.
SCRIPT_ROWS = {HC3: "sensitivity HC3", PROPENSITY: "sensitivity PS-weighted"}
_STATS = (("estimate", "estimate"), ("se", "SE"), ("ci_low", "CI low"),
          ("ci_high", "CI high"), ("p", "p"))
#: Weight summary statistics reproduced by the scripts: statistic -> number label.
PS_SUMMARY = {"truncation lower bound": "sensitivity PS weight lower bound",
              "truncation upper bound": "sensitivity PS weight upper bound",
              "effective sample size": "sensitivity PS effective sample size"}
Progress = Callable[[str], None]


def wanted(path: str, flag: bool | None) -> bool:
    """Whether the kit of the page at ``path`` holds the section (``flag`` None: the
    page's default, on for /comparison only)."""
    return path in DEFAULT_PAGES if flag is None else bool(flag)


def settings_text(options: dict, covariates, weights: str) -> str:
    """Covariates, LS-mean weighting and the settings of the analyses, in words."""
    trim = float(options.get("trim", 0.0))
    trimmed = (f"truncated at percentiles {trim:g} and {100 - trim:g}" if trim
               else "not truncated")
    return (f"Covariates: {', '.join(covariates) or 'none'}; LS means with {weights} weights. "
            f"Propensity weights {trimmed}; multiple imputation: "
            f"{int(options.get('imputations', 0))} imputations, seed "
            f"{int(options.get('seed', 0))}.")


def _row(table: pd.DataFrame, analysis: str) -> pd.Series | None:
    rows = table[table["analysis"] == analysis]
    return rows.iloc[0] if len(rows) else None


def _mixed_text(table: pd.DataFrame) -> str:
    """How the random-trial row was estimated (naming the fall-back when it happened)."""
    row = _row(table, RANDOM_TRIAL)
    if row is None or "fall-back" not in str(row["test"]):
        return "trial as a random intercept (MixedLM, REML, Wald z)"
    return ("trial as a random intercept: the mixed model was not reliable, so the "
            "fixed-effect model (trial as a factor) is shown instead (see the notes)")


def forest_method(table: pd.DataFrame, view: View, options: dict) -> str:
    """The caption's method sentence of the forest and of the estimates table."""
    return (f"Spotty - none difference of {view.model.outcome} (95% CI) under the main "
            f"model (ANCOVA, OLS, complete cases) and each sensitivity analysis: HC3 robust "
            f"SE; {_mixed_text(table)}; propensity-score weighting (stabilised ATE weights, "
            f"WLS with HC0 SE); multiple imputation of missing covariates (chained "
            f"equations, Rubin's rules); trend over 0, 1, 2, 3+ deposits as a linear "
            f"contrast of LS means (slope per category, its own panel). "
            + settings_text(options, view.model.covariates, view.model.weights))


def estimates_frame(table: pd.DataFrame, unit: str) -> pd.DataFrame:
    """The display table of :func:`api.sensitivity`'s frame: Analysis, Estimate, 95% CI,
    p, Test, n, Estimand (numbers as text; an analysis not estimated says so)."""
    out = []
    for _i, r in table.iterrows():
        done = pd.notna(r["estimate"])
        estimand = "spotty - none" if str(r["estimand"]) in ("", CONTRAST) else \
            "per deposit category"
        out.append({
            "Analysis": str(r["analysis"]),
            f"Estimate ({unit})": format_num(r["estimate"], 3) if done else "not estimated",
            "95% CI": (f"{format_num(r['ci_low'], 3)} to {format_num(r['ci_high'], 3)}"
                       if done else ""),
            "p": format_p(r["p"]) if done else "",
            "Test": str(r["test"]) if done else str(r["note"]),
            "n": format_count(r["n"]) if done else "",
            "Estimand": estimand if done else "",
        })
    return pd.DataFrame(out)


def balance_frame(balance: pd.DataFrame) -> pd.DataFrame:
    """The display table of a propensity balance frame: Covariate, SMD before, SMD after."""
    return pd.DataFrame({"Covariate": [term_label(t) for t in balance["term"]],
                         "SMD before": [format_num(v, 3) for v in balance["smd_before"]],
                         "SMD after": [format_num(v, 3) for v in balance["smd_after"]]})


def weights_text(summary: pd.DataFrame, n: int) -> str:
    """Propensity-score ranges, weight truncation and effective sample size, in words."""
    s = summary.set_index("statistic")["value"]
    return (f"Propensity scores: none {s['propensity score min (none)']:.3f} to "
            f"{s['propensity score max (none)']:.3f}, spotty "
            f"{s['propensity score min (spotty)']:.3f} to "
            f"{s['propensity score max (spotty)']:.3f}. Stabilised weights "
            f"{s['weight min before truncation']:.3g} to {s['weight max before truncation']:.3g},"
            f" truncated to {s['truncation lower bound']:.3g} to "
            f"{s['truncation upper bound']:.3g} ({int(s['weights truncated'])} weights); "
            f"effective sample size {s['effective sample size']:,.0f} of {format_count(n)} "
            "patients.")


def _split_notes(text: str) -> list[str]:
    """A row's notes (joined by "; " in the table) apart again; a part starting in lower
    case continues the note before it (a note may hold "; " itself)."""
    notes: list[str] = []
    for part in str(text or "").split("; "):
        part = part.strip()
        if notes and part[:1].islower():
            notes[-1] = f"{notes[-1]}; {part}"
        elif part:
            notes.append(part)
    return [n.rstrip(".") for n in notes]


def notes_text(table: pd.DataFrame) -> str:
    """The analyses' notes, each once, after the analyses it applies to ("All
    analyses" when every row has it)."""
    where: dict[str, list[str]] = {}
    for _i, r in table.iterrows():
        for note in _split_notes(r["note"]):
            where.setdefault(note, []).append(str(r["analysis"]))
    return " ".join(
        f"{'All analyses' if len(names) == len(table) else ', '.join(names)}: {note}."
        for note, names in where.items())


def _add_numbers(view: View, table: pd.DataFrame, prop) -> None:
    for analysis, stem in SCRIPT_ROWS.items():
        row = _row(table, analysis)
        if row is None or not math.isfinite(float(row["estimate"])):
            continue
        for col, label in _STATS:
            view.numbers[f"{stem} {label}"] = float(row[col])
        if not isinstance(row["n"], str):  # a suppressed count is no reference number
            view.numbers[f"{stem} n"] = float(row["n"])
    if prop is not None and f"{SCRIPT_ROWS[PROPENSITY]} estimate" in view.numbers:
        s = prop.weight_summary.set_index("statistic")["value"]
        for stat, label in PS_SUMMARY.items():
            view.numbers[label] = float(s[stat])


def _add_estimates(view: View, sens) -> None:
    table, options = sens.value, dict(sens.options)
    view.sensitivity_options = {k: float(options[k]) for k in ("imputations", "seed", "trim")
                                if k in options}
    method = forest_method(table, view, options)
    n = table["n"].iloc[0]  # as disclosure control shows it (a count or a marker)
    outcome = view.model.outcome
    view.figures.append(FigureItem(
        FOREST_KEY, "Sensitivity analyses: spotty - none difference",
        make_sensitivity_forest_figure(table, outcome=outcome),
        footnote(sens, n, method), section=SECTION))
    notes = notes_text(table)
    view.tables.append(TableItem(
        "sensitivity_estimates", "Sensitivity analyses: estimate, 95% CI, p and n",
        estimates_frame(table, get(outcome).unit),
        note=" ".join(x for x in (method, notes) if x), section=SECTION,
        widths=(2.1, 0.85, 1.2, 0.6, 2.75, 0.7, 1.1)))
    view.add_method(method)
    for _i, r in table.iterrows():
        if pd.notna(r["estimate"]):
            view.add_method(f"{r['analysis']}: {r['test']}; n = {format_count(r['n'])}.")
        else:
            view.notes.append(f"{r['analysis']}: {r['note']}")


def _add_balance(view: View, prop) -> None:
    p = prop.value
    method = f"{p.method}. {weights_text(p.weight_summary, p.n)}"
    view.figures.append(FigureItem(
        BALANCE_KEY, "Propensity-score balance before and after",
        make_balance_figure(p), footnote(prop, p.n, method), section=SECTION))
    view.tables.append(TableItem(
        "propensity_balance", "Propensity-score balance: SMD, spotty - none", balance_frame(p.balance),
        note=(f"{method} SMD by Austin & Stuart (2015); |SMD| < 0.1 is commonly taken as "
              "balanced."), section=SECTION, widths=(3.0, 1.2, 1.2)))
    view.add_method(p.method)


def add_sensitivity(view: View, progress: Progress | None = None) -> None:
    """Add the Sensitivity section to ``view`` (module docstring).

    ``progress`` gets a message before each step and one per imputation while multiple
    imputation runs (nothing when the result is already cached). An analysis that cannot
    be computed on the selection leaves its reason in :attr:`View.notes`.
    """
    say = progress or (lambda _msg: None)
    view.sensitivity = True
    fp, q = view.fingerprint, view.filter_query
    kwargs = view.model.api_options()
    say("Sensitivity: propensity-score weighting and balance")
    prop = api.propensity(fp, q, view.model.outcome, **kwargs)
    say("Sensitivity: HC3, random trial intercept, multiple imputation, deposit trend")
    with reporting(say):
        sens = api.sensitivity(fp, q, view.model.outcome, **kwargs)
    if sens.ok:
        _add_estimates(view, sens)
        _add_numbers(view, sens.value, prop.value if prop.ok else None)
    else:
        view.notes.append(f"Sensitivity analyses: {sens.error}")
    if prop.ok:
        _add_balance(view, prop)
    else:
        view.notes.append(f"Propensity-score balance: {prop.error}")


__all__ = ["BALANCE_KEY", "FIGURE_KEYS", "FOREST_KEY", "SECTION", "add_sensitivity",
           "balance_frame", "estimates_frame", "notes_text", "wanted"]
