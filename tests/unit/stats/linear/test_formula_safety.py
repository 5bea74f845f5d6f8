"""Column names never become code.

A column named like pingouin's hostile test case must be rejected with a project
error naming it (and listing the allowed names) wherever a name is accepted, and
nothing in it may run. The models never parse a formula at all: with patsy's and
statsmodels' formula entry points replaced by traps, every model still runs.
"""

from __future__ import annotations

import builtins

import patsy
import pytest
import statsmodels.formula.api as smf

from analysis.errors import AnalysisError
from analysis.stats.linear.ancova import ancova
from analysis.stats.linear.dose_response import dose_response
from analysis.stats.linear.interactions import continuous_interaction, interaction
from analysis.stats.linear.subgroups import subgroup_effects

HOSTILE_EXIT = "Sex') + __import__('builtins').exit(1) + Q('"
HOSTILE_FLAG = "age') + __import__('builtins').setattr(__import__('builtins'), 'PWNED', 1) + Q('"


@pytest.fixture
def hostile(random_cohort):
    return random_cohort.assign(**{HOSTILE_EXIT: random_cohort["sex"],
                                   HOSTILE_FLAG: random_cohort["age"]})


CALLS = {
    "ancova covar": lambda d, h: ancova(d, "delta_pav", covar=["age", h]),
    "ancova dv": lambda d, h: ancova(d, h),
    "ancova between": lambda d, h: ancova(d, "delta_pav", between=h),
    "interaction modifier": lambda d, h: interaction(d, "delta_pav", h),
    "interaction covar": lambda d, h: interaction(d, "delta_pav", "sex", covar=[h]),
    "continuous modifier": lambda d, h: continuous_interaction(d, "delta_pav", h),
    "subgroups": lambda d, h: subgroup_effects(d, "delta_pav", subgroups=(h,)),
    "subgroups covar": lambda d, h: subgroup_effects(d, "delta_pav", covar=[h]),
    "dose count": lambda d, h: dose_response(d, "delta_pav", count=h),
}


@pytest.mark.parametrize("name", [HOSTILE_EXIT, HOSTILE_FLAG])
@pytest.mark.parametrize("call", list(CALLS))
def test_hostile_names_rejected_and_not_executed(hostile, call, name):
    before = hostile.copy(deep=True)
    with pytest.raises(AnalysisError) as err:  # a SystemExit would escape this
        CALLS[call](hostile, name)
    message = str(err.value)
    assert repr(name) in message and "not a variable of the data dictionary" in message
    assert "delta_pav" in message and "pav_baseline" in message  # allowed names listed
    assert not hasattr(builtins, "PWNED")  # the payload never ran
    assert hostile.columns.tolist() == before.columns.tolist()


@pytest.mark.parametrize("bad", [3, None, ("age",), "AGE", "age "])
def test_non_dictionary_names_rejected(random_cohort, bad):
    with pytest.raises(AnalysisError, match="not a variable of the data dictionary"):
        ancova(random_cohort, "delta_pav", covar=["pav_baseline", bad])


def test_models_never_parse_formulas(random_cohort, monkeypatch):
    def trap(*args, **kwargs):
        raise RuntimeError("a formula was parsed")

    for name in ("dmatrices", "dmatrix", "ModelDesc"):
        monkeypatch.setattr(patsy, name, trap)
    for name in ("ols", "wls", "glm"):
        monkeypatch.setattr(smf, name, trap)
    ancova(random_cohort, "delta_pav")
    interaction(random_cohort, "delta_pav", "sex")
    continuous_interaction(random_cohort, "delta_pav", "hdl_c")
    subgroup_effects(random_cohort, "delta_pav", subgroups=("sex", "age"))
    counts = (random_cohort["calcification"] == "spotty").astype(int) * 2
    dose_response(random_cohort.assign(n_spotty=counts), "delta_pav")
