"""A Python script that reproduces the numbers of a view from its CSV download.

The script uses pandas and statsmodels only (scipy, which statsmodels installs, for
Table 1's tests), reads ``data.csv`` (the Data page's CSV for the same filters, as
unpacked from the zip) from the folder it runs in, and prints every number of the view
labelled, at full precision: ``label: value``. The labels are those of
:attr:`reports.view.View.numbers`. A kit with the Sensitivity section also gets the
HC3 estimate (``OLS.fit(cov_type="HC3")``) and the propensity-score weighted one
(logistic ``GLM``, stabilised ATE weights truncated at the kit's percentiles, ``WLS``
with HC0 SE), computed from the rows with no code of the app.

Column names come from the data dictionary only (checked before they are written into
the script) and are quoted ``Q("...")`` in the formulas.
"""

from __future__ import annotations

import json

from analysis.data.schema import VARIABLES
from analysis.disclosure.rule import current as disclosure_rule
from reports.view import View, ViewError

TEMPLATE = r'''"""Reproduces the numbers of a view of the IVUS study explorer.

View: __LINK__
Dataset: __DATASET__ (fingerprint __FINGERPRINT__)
Filters: __FILTERS__
__LABEL__
Run with no arguments from the folder that holds data.csv (the Data page's CSV of the
same filters). Needs pandas and statsmodels (and scipy, installed with statsmodels).
Prints "label: value" lines at full precision.
"""

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats

OUTCOME = __OUTCOME__
COVARIATES = __COVARIATES__        # as fitted by the app (the outcome's baseline first)
FACTORS = __FACTORS__              # covariates that are factors (categories and yes/no)
WEIGHTS = __WEIGHTS__              # LS-mean weights over factor covariates
THERAPY = __THERAPY__              # (flag, measurement, cut-point) of the interactions
TABLE1 = __TABLE1__                # (variable, test, kind) of Table 1's p-values
SENSITIVITY = __SENSITIVITY__      # sensitivity analyses to reproduce; trim = percent cut
GROUPS = ["none", "spotty"]        # the comparison; "other" calcification is left out
SUPPRESS_K = __SUPPRESS_K__        # the app's disclosure control: counts 1..K are not printed
ROUND_BASE = __ROUND_BASE__        # printed counts are rounded to this base (1 = as they are)

data = pd.read_csv("data.csv", encoding="utf-8-sig", keep_default_na=False,
                   na_values=[""], dtype={"patient_id": str})


def show(label, value):
    print(f"{label}: {float(value):.17g}")


def shown_counts(counts):
    """The counts as the app shows them: None for all of them when one is from 1 to
    SUPPRESS_K (it would follow from the others), else each rounded to ROUND_BASE."""
    if any(0 < n <= SUPPRESS_K for n in counts.values()):
        return dict.fromkeys(counts)
    return {k: ROUND_BASE * ((2 * n + ROUND_BASE) // (2 * ROUND_BASE))
            for k, n in counts.items()}


def show_count(label, counts):
    if counts[label] is None:
        print(f"{label}: suppressed (a count <= {SUPPRESS_K})")
    else:
        show(label, counts[label])


def q(name):
    return f'Q("{name}")'


def term(name):
    return f"C({q(name)})" if name in FACTORS else q(name)


def fit(outcome, covariates, modifier=None, modifier_factor=True):
    """OLS of outcome ~ group (* modifier) + covariates on complete cases."""
    cols = [outcome, "calcification", *covariates] + ([modifier] if modifier else [])
    d = data.loc[data["calcification"].isin(GROUPS), cols].dropna().copy()
    focal = f"C({q('calcification')})"
    if modifier:
        mod = f"C({q(modifier)})" if modifier_factor else q(modifier)
        focal = f"{focal} * {mod}"
    rhs = " + ".join([focal, *(term(c) for c in covariates)])
    return smf.ols(f"{q(outcome)} ~ {rhs}", data=d).fit(), d


def design_info(res):
    """patsy's DesignInfo of the fit (statsmodels >= 0.15: data.model_spec)."""
    data = res.model.data
    return getattr(data, "model_spec", None) or data.design_info


def grid_row(res, d, covariates, **setting):
    """The reference-grid average of the design rows with the given columns set:
    factor covariates weighted by observed frequency (proportional) or equally,
    numeric covariates at their mean over the analysed rows (as emmeans)."""
    from patsy import build_design_matrices

    info = design_info(res)
    new = d.copy()
    for col, value in setting.items():
        new[col] = value
    X = np.asarray(build_design_matrices([info], new, return_type="matrix")[0])
    L = X.mean(axis=0)
    if WEIGHTS == "equal":
        for name in covariates:
            if name in FACTORS:
                sl = info.term_name_slices[term(name)]
                L[sl] = 1.0 / (sl.stop - sl.start + 1)
    return L


def estimate(res, L):
    """(estimate, SE, CI low, CI high, p) of L @ beta (t distribution, residual df)."""
    t = res.t_test(L.reshape(1, -1))
    low, high = np.asarray(t.conf_int(alpha=0.05)).ravel()
    return (float(np.ravel(t.effect)[0]), float(np.ravel(t.sd)[0]), float(low),
            float(high), float(np.ravel(t.pvalue)[0]))


def product_p(res, name):
    """p of the group x modifier product terms (F-test; = t-test for one term)."""
    sl = design_info(res).term_name_slices[name]
    R = np.zeros((sl.stop - sl.start, len(res.params)))
    for i, j in enumerate(range(sl.start, sl.stop)):
        R[i, j] = 1.0
    return float(res.f_test(R).pvalue)


# ---------------------------------------------------------------- counts
res, d = fit(OUTCOME, COVARIATES)
COUNTS = shown_counts({**{f"n {g}": int((data["calcification"] == g).sum()) for g in GROUPS},
                       "ancova n used": len(d)})
for g in GROUPS:
    show_count(f"n {g}", COUNTS)

# ---------------------------------------------------------------- ANCOVA
show_count("ancova n used", COUNTS)
L = {g: grid_row(res, d, COVARIATES, calcification=g) for g in GROUPS}
for g in GROUPS:
    est, se, low, high, _p = estimate(res, L[g])
    show(f"ancova LS mean {g}", est)
    show(f"ancova SE {g}", se)
    show(f"ancova CI low {g}", low)
    show(f"ancova CI high {g}", high)
est, se, low, high, p = estimate(res, L["spotty"] - L["none"])
show("ancova spotty - none estimate", est)
show("ancova spotty - none SE", se)
show("ancova spotty - none CI low", low)
show("ancova spotty - none CI high", high)
show("ancova spotty - none p", p)

# ---------------------------------------------------------------- sensitivity analyses
def show_difference(stem, res, d):
    """The spotty - none LS-mean difference of ``res`` (fitted on ``d``) and its n."""
    L = {g: grid_row(res, d, COVARIATES, calcification=g) for g in GROUPS}
    est, se, low, high, p = estimate(res, L["spotty"] - L["none"])
    for stat, value in (("estimate", est), ("SE", se), ("CI low", low), ("CI high", high),
                        ("p", p), ("n", len(d))):
        show(f"{stem} {stat}", value)


if SENSITIVITY["hc3"]:
    # the same OLS with HC3 heteroscedasticity-robust covariance (MacKinnon & White 1985)
    res, d = fit(OUTCOME, COVARIATES)
    show_difference("sensitivity HC3", res.model.fit(cov_type="HC3", use_t=True), d)

if SENSITIVITY["ps"]:
    # propensity score P(spotty | covariates) by logistic regression; stabilised ATE
    # weights; truncated at the trim-th and (100 - trim)-th percentiles; weighted least
    # squares of the same outcome model with HC0 (White) robust covariance
    res, d = fit(OUTCOME, COVARIATES)
    d["spotty_"] = (d["calcification"] == "spotty").astype(float)
    ps = smf.glm("spotty_ ~ " + " + ".join(term(c) for c in COVARIATES), data=d,
                 family=sm.families.Binomial()).fit().fittedvalues.to_numpy()
    treated = d["spotty_"].to_numpy()
    share = treated.mean()
    w = np.where(treated == 1, share / ps, (1 - share) / (1 - ps))
    trim = SENSITIVITY["trim"]
    low, high = np.percentile(w, [trim, 100 - trim]) if trim else (w.min(), w.max())
    w = np.clip(w, low, high)
    show("sensitivity PS weight lower bound", low)
    show("sensitivity PS weight upper bound", high)
    show("sensitivity PS effective sample size", w.sum() ** 2 / (w * w).sum())
    wls = smf.wls(res.model.formula, data=d, weights=w).fit(cov_type="HC0", use_t=True)
    show_difference("sensitivity PS-weighted", wls, d)

# ---------------------------------------------------------------- therapy interactions
LEVELS = {0: "standard", 1: "intensive"}
for flag, measure, cut in THERAPY:
    # data.csv holds the flag at the view's cut-point: 1 = measurement < cut
    data[flag + "_level"] = data[flag].map(LEVELS)
    res, d = fit(OUTCOME, COVARIATES, flag + "_level")
    name = f"C({q('calcification')}):C({q(flag + '_level')})"
    show(f"{flag} interaction p", product_p(res, name))
    cell = {}
    for g in GROUPS:
        for m in ("standard", "intensive"):
            cell[g, m] = grid_row(res, d, COVARIATES, calcification=g, **{flag + "_level": m})
            est, se, low, high, _p = estimate(res, cell[g, m])
            show(f"{flag} LS mean {g} {m}", est)
            show(f"{flag} SE {g} {m}", se)
            show(f"{flag} CI low {g} {m}", low)
            show(f"{flag} CI high {g} {m}", high)
    for g in GROUPS:
        est, se, _lo, _hi, p = estimate(res, cell[g, "intensive"] - cell[g, "standard"])
        for stat, value in (("estimate", est), ("SE", se), ("p", p)):
            show(f"{flag} effect {g} intensive - standard {stat}", value)
    for m in ("standard", "intensive"):
        est, se, _lo, _hi, p = estimate(res, cell["spotty", m] - cell["none", m])
        for stat, value in (("estimate", est), ("SE", se), ("p", p)):
            show(f"{flag} effect {m} spotty - none {stat}", value)
    res, d = fit(OUTCOME, COVARIATES, measure, modifier_factor=False)
    show(f"{measure} continuous interaction p",
         product_p(res, f"C({q('calcification')}):{q(measure)}"))

# ---------------------------------------------------------------- Table 1 p-values
t1 = data[data["calcification"].isin(GROUPS)]
for name, test, kind in TABLE1:
    x = t1[[name, "calcification"]].dropna()
    a = x.loc[x["calcification"] == "spotty", name]
    b = x.loc[x["calcification"] == "none", name]
    if test == "Welch t-test":
        p = stats.ttest_ind(a.astype(float), b.astype(float), equal_var=False).pvalue
    elif test == "Mann-Whitney U":
        p = stats.mannwhitneyu(a.astype(float), b.astype(float), alternative="two-sided").pvalue
    else:
        table = pd.crosstab(x[name].astype(str), x["calcification"]).to_numpy(float)
        table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
        if test == "Fisher exact":
            p = stats.fisher_exact(table.astype(int)).pvalue
        else:
            p = stats.chi2_contingency(table, correction=False)[1]
    show(f"table1 p {name}", p)
'''


def _checked(names) -> list[str]:
    """Names that are dictionary variables (anything else never reaches the script)."""
    out = []
    for n in names:
        if n not in VARIABLES:
            raise ViewError(f"{n!r} is not a variable of the data dictionary")
        out.append(str(n))
    return out


def script_inputs(view: View) -> dict[str, object]:
    """The view's model settings as plain values (shared by the Python and R scripts)."""
    covs = _checked(view.model.covariates)
    factors = [c for c in covs if VARIABLES[c].is_categorical]
    therapy = []
    if view.path == "/therapy":
        therapy = [("ldl_intensive", "ldl_c", view.model.ldl_cut),
                   ("sbp_intensive", "sbp", view.model.sbp_cut)]
    table1 = []
    for label in view.numbers:
        if label.startswith("table1 p "):
            name = _checked([label.removeprefix("table1 p ")])[0]
            table1.append(name)
    return {"covariates": covs, "factors": factors, "therapy": therapy, "table1": table1}


def sensitivity_inputs(view: View) -> dict[str, object]:
    """Which sensitivity estimates the scripts reproduce (those the kit holds) and the
    propensity-weight truncation in percent."""
    return {"hc3": "sensitivity HC3 estimate" in view.numbers,
            "ps": "sensitivity PS-weighted estimate" in view.numbers,
            "trim": float(view.sensitivity_options.get("trim", 0.0))}


def disclosure_inputs() -> dict[str, str]:
    """``__SUPPRESS_K__`` and ``__ROUND_BASE__``: the disclosure rule in force, which the
    scripts apply to the counts they print (see the README, "Disclosure control")."""
    rule = disclosure_rule()
    return {"__SUPPRESS_K__": str(int(rule.k)), "__ROUND_BASE__": str(int(rule.base))}


def python_script(view: View) -> str:
    """The Python script of ``view`` (see the module docstring)."""
    inputs = script_inputs(view)
    table1 = [(n, view.table1_tests[n], VARIABLES[n].dtype) for n in inputs["table1"]]
    repl = {
        "__LINK__": view.link, "__DATASET__": view.dataset, "__FINGERPRINT__": view.fingerprint,
        "__FILTERS__": "; ".join(view.filters) or "none (all patients)",
        "__LABEL__": view.simulated_label,
        "__OUTCOME__": json.dumps(_checked([view.model.outcome])[0]),
        "__COVARIATES__": json.dumps(inputs["covariates"]),
        "__FACTORS__": json.dumps(inputs["factors"]),
        "__WEIGHTS__": json.dumps(view.model.weights),
        "__THERAPY__": repr([tuple(t) for t in inputs["therapy"]]),
        "__TABLE1__": repr(table1),
        "__SENSITIVITY__": repr(sensitivity_inputs(view)),
        **disclosure_inputs(),
    }
    text = TEMPLATE
    for key, value in repl.items():
        text = text.replace(key, str(value).replace('"""', "'''"))
    return text


__all__ = ["disclosure_inputs", "python_script", "script_inputs", "sensitivity_inputs"]
