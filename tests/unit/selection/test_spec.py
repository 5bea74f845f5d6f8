"""Filter spec: canonical form, query/JSON round trips, errors, descriptions."""

from __future__ import annotations

import json
import pickle
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.data.schema import VARIABLES
from analysis.errors import FilterSpecError
from analysis.selection import FilterSpec
from analysis.selection.canonical import (
    ALL_GROUPS,
    CATEGORY_VARIABLES,
    RANGE_VARIABLES,
    format_number,
)
from analysis.selection.definition import OTHER_RULES, SpottyDefinition

# --------------------------------------------------------------------------- canonical form


def test_filterable_variables_come_from_the_dictionary():
    assert RANGE_VARIABLES == ("age", "bmi", "ldl_c_baseline", "ldl_c", "hdl_c",
                               "triglycerides", "crp", "sbp", "dbp")
    assert set(CATEGORY_VARIABLES) == {"sex", "diabetes", "hypertension", "current_smoker",
                                       "prior_mi", "statin", "trial", "beta_blocker",
                                       "ace_arb"}


def test_two_spellings_give_the_same_spec_hash_and_query():
    a = FilterSpec(ranges={"age": (50, 70)}, categories={"statin": ["high", "moderate"],
                                                         "sex": ["male"]},
                   ldl_cut=70, ldl_therapy="intensive")
    b = FilterSpec.from_query(
        "?statin=moderate,high&sex=MALE&age=50.0-70.00&ldl_cut=70.0&ldl_therapy=intensive"
        "&groups=spotty,none&missing=exclude")
    c = FilterSpec(ranges=(("age", 50.0, 70.0),),
                   categories=(("sex", ("male",)), ("statin", ("moderate", "high"))),
                   ldl_therapy="INTENSIVE")
    assert a == b == c
    assert hash(a) == hash(b) == hash(c)
    assert a.to_query() == b.to_query() == c.to_query()
    # entries sorted by name, values in dictionary level order (none, moderate, high)
    assert a.to_query() == "age=50-70&sex=male&statin=moderate,high&ldl_therapy=intensive"
    assert a.ranges == (("age", 50.0, 70.0),)
    assert a.categories == (("sex", ("male",)), ("statin", ("moderate", "high")))


def test_no_limit_range_and_all_levels_are_dropped():
    spec = FilterSpec(ranges={"age": (None, None), "bmi": (None, 30)},
                      categories={"sex": ["female", "male"], "diabetes": [True, False]})
    assert spec == FilterSpec(ranges={"bmi": (None, 30)})
    assert FilterSpec.from_query("sex=female,male&diabetes=yes,no&age=-") == FilterSpec()
    assert FilterSpec().to_query() == ""
    assert FilterSpec().is_empty and not spec.is_empty


def test_open_ranges_and_numbers_without_exponent():
    spec = FilterSpec.from_query("bmi=30-&crp=-2.5&triglycerides=0.0001-150")
    assert spec.ranges == (("bmi", 30.0, None), ("crp", None, 2.5),
                           ("triglycerides", 0.0001, 150.0))
    assert spec.to_query() == "bmi=30-&crp=-2.5&triglycerides=0.0001-150"
    assert format_number(1e16) == "10000000000000000"
    assert format_number(1e-7) == "0.0000001"
    assert float(format_number(0.1 + 0.2)) == 0.1 + 0.2


def test_defaults_are_left_out_of_the_query_but_accepted():
    spec = FilterSpec.from_query("ldl_cut=70&sbp_cut=120&groups=none,spotty&missing=exclude"
                                 "&ldl_therapy=any&sbp_therapy=any")
    assert spec == FilterSpec() and spec.to_query() == ""
    other = FilterSpec(groups=("other", "none", "spotty"), sbp_cut=130, sbp_therapy="standard",
                       missing="keep")
    assert other.to_query() == "sbp_cut=130&sbp_therapy=standard&groups=none,spotty,other&missing=keep"


def test_open_category_trial_values_sorted_and_percent_encoded():
    spec = FilterSpec(categories={"trial": ["REVERSAL", "A to Z", "ASTEROID"]})
    assert spec.categories == (("trial", ("A to Z", "ASTEROID", "REVERSAL")),)
    assert spec.to_query() == "trial=A%20to%20Z,ASTEROID,REVERSAL"
    assert FilterSpec.from_query(spec.to_query()) == spec


def test_spec_is_frozen_and_picklable():
    spec = FilterSpec.from_query("age=50-70&sex=male")
    with pytest.raises(AttributeError):
        spec.missing = "keep"  # type: ignore[misc]
    again = pickle.loads(pickle.dumps(spec))
    assert again == spec and again.to_query() == spec.to_query()


def test_dict_round_trip_is_json_safe():
    spec = FilterSpec.from_query("age=50-&diabetes=no&statin=high&ldl_cut=55&ldl_therapy=standard"
                                 "&groups=none,spotty,other&missing=keep")
    data = json.loads(json.dumps(spec.to_dict()))
    assert data["ranges"] == {"age": [50.0, None]}
    assert FilterSpec.from_dict(data) == spec
    assert FilterSpec.from_dict(None) == FilterSpec() == FilterSpec.from_dict({})


# --------------------------------------------------------------------------- round trip property

_trial_value = st.text(alphabet=string.ascii_letters + string.digits + " -_.&=+%/", min_size=1,
                       max_size=8).filter(lambda s: s.strip() != "")
_bound = st.one_of(st.none(), st.floats(min_value=0, max_value=1e9, allow_nan=False,
                                        allow_infinity=False))


@st.composite
def specs(draw) -> FilterSpec:
    ranges = []
    for name in draw(st.lists(st.sampled_from(RANGE_VARIABLES), unique=True, max_size=4)):
        lo, hi = draw(_bound), draw(_bound)
        if lo is not None and hi is not None and lo > hi:
            lo, hi = hi, lo
        ranges.append((name, lo, hi))
    categories = []
    for name in draw(st.lists(st.sampled_from(CATEGORY_VARIABLES), unique=True, max_size=4)):
        var = VARIABLES[name]
        levels = ("yes", "no") if var.is_binary else var.levels
        if levels:
            values = draw(st.lists(st.sampled_from(levels), min_size=1, unique=True))
        else:
            values = draw(st.lists(_trial_value, min_size=1, max_size=3))
        categories.append((name, tuple(values)))
    groups = draw(st.lists(st.sampled_from(ALL_GROUPS), min_size=1, unique=True))
    cut = st.floats(min_value=0, max_value=500, allow_nan=False)
    therapy = st.sampled_from(("any", "intensive", "standard"))
    low = draw(st.floats(min_value=0, max_value=50, allow_nan=False))
    definition = SpottyDefinition(
        max_arc=draw(st.floats(min_value=1, max_value=360, allow_nan=False)),
        min_length=low, max_length=draw(st.floats(min_value=low, max_value=50, allow_nan=False)),
        other=draw(st.sampled_from(OTHER_RULES)))
    if draw(st.booleans()):
        definition = SpottyDefinition()  # the published one, half the time
    return FilterSpec(ranges=tuple(ranges), categories=tuple(categories), groups=tuple(groups),
                      ldl_cut=draw(cut), sbp_cut=draw(cut), ldl_therapy=draw(therapy),
                      sbp_therapy=draw(therapy), missing=draw(st.sampled_from(("exclude", "keep"))),
                      definition=definition)


@settings(max_examples=200, deadline=None)
@given(specs())
def test_random_specs_round_trip_exactly(spec):
    parsed = FilterSpec.from_query(spec.to_query())
    assert parsed == spec
    assert hash(parsed) == hash(spec)
    assert parsed.to_query() == spec.to_query()
    assert FilterSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
    assert FilterSpec.from_query("?" + spec.to_query()) == spec


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("query, words", [
    ("colour=red", ["'colour'", "'red'", "age", "sex", "missing"]),
    ("sex=x", ["sex", "'x'", "female, male"]),
    ("diabetes=maybe", ["diabetes", "'maybe'", "yes, no"]),
    ("statin=low", ["statin", "'low'", "none, moderate, high"]),
    ("age=70-50", ["age", "70", "50", "swap"]),
    ("age=abc", ["age", "'abc'", "LOW-HIGH"]),
    ("age=5O-70", ["age", "'5O-70'"]),
    ("age=-5-10", ["age", "'-5-10'", ">= 0"]),
    ("age=1e5-", ["age", "'1e5-'"]),
    ("ldl_therapy=max", ["ldl_therapy", "'max'", "any, intensive, standard"]),
    ("missing=drop", ["missing", "'drop'", "exclude, keep"]),
    ("groups=big", ["groups", "'big'", "none, spotty, other"]),
    ("groups=", ["groups", "no group selected"]),
    ("sex=", ["sex", "no value selected", "female, male"]),
    ("ldl_cut=seventy", ["ldl_cut", "'seventy'", "not a number"]),
    ("ldl_cut=-5", ["ldl_cut", "'-5'", "negative"]),
    ("age=50-&age=-70", ["age", "twice"]),
])
def test_bad_queries_name_key_value_and_what_is_allowed(query, words):
    with pytest.raises(FilterSpecError) as info:
        FilterSpec.from_query(query)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_bad_constructor_arguments():
    with pytest.raises(FilterSpecError, match="categorical"):
        FilterSpec(ranges={"sex": (0, 1)})
    with pytest.raises(FilterSpecError, match="numeric"):
        FilterSpec(categories={"age": ["50"]})
    with pytest.raises(FilterSpecError, match="finite"):
        FilterSpec(ranges={"age": (0, float("inf"))})
    with pytest.raises(FilterSpecError, match="not a number"):
        FilterSpec(ranges={"age": (True, 5)})
    with pytest.raises(FilterSpecError, match="comma"):
        FilterSpec(categories={"trial": ["A,B"]})
    with pytest.raises(FilterSpecError, match="unknown filter spec field 'rangez'"):
        FilterSpec.from_dict({"rangez": {}})
    with pytest.raises(FilterSpecError, match="must be a string"):
        FilterSpec.from_query(42)  # type: ignore[arg-type]
    # Dash's layout(**query_params) gives a list for a repeated key
    with pytest.raises(FilterSpecError, match="sex: given 2 times"):
        FilterSpec.from_params({"sex": ["male", "female"]})
    assert FilterSpec.from_params({"age": "50-70", "sex": "male"}) == FilterSpec.from_query(
        "age=50-70&sex=male")


# --------------------------------------------------------------------------- describe


def test_describe_uses_labels_and_units():
    spec = FilterSpec.from_query("age=50-70&sex=male&ldl_therapy=intensive")
    assert spec.describe() == [
        "Age 50-70 years", "Sex: male", "LDL-C < 70 mg/dl (intensive)",
        "Patients with a missing value in a filtered variable: excluded",
    ]
    assert FilterSpec().describe() == ["All patients"]
    lines = FilterSpec.from_query("bmi=30-&crp=-2.5&sbp_cut=130&sbp_therapy=standard"
                                  "&groups=none,spotty,other&missing=keep").describe()
    assert lines == ["BMI ≥ 30 kg/m²", "hs-CRP ≤ 2.5 mg/l", "Systolic BP ≥ 130 mmHg (standard)",
                     "Groups: No calcification, Spotty calcification, Other calcification",
                     "Patients with a missing value in a filtered variable: kept"]
    assert FilterSpec(ldl_cut=55).describe() == [
        "LDL-C cut-point for intensive therapy: 55 mg/dl"]


@settings(max_examples=100, deadline=None)
@given(specs(), st.randoms(use_true_random=False))
def test_respelling_a_spec_gives_the_same_spec(spec, rnd):
    # Shuffle entries and values, repeat values, change case, write 70 as 70.0 ...
    ranges = [(n, None if lo is None else str(lo), hi) for n, lo, hi in spec.ranges]
    rnd.shuffle(ranges)
    categories = []
    for name, values in spec.categories:
        vals = list(values) + [rnd.choice(values)]
        rnd.shuffle(vals)
        if VARIABLES[name].levels is not None or VARIABLES[name].is_binary:
            vals = [v.upper() for v in vals]
        categories.append((name, vals))
    rnd.shuffle(categories)
    again = FilterSpec(ranges=ranges, categories=dict(categories), groups=list(spec.groups)[::-1],
                       ldl_cut=str(spec.ldl_cut), sbp_cut=spec.sbp_cut,
                       ldl_therapy=spec.ldl_therapy.upper(), sbp_therapy=spec.sbp_therapy,
                       missing=spec.missing, definition=spec.definition.to_params())
    assert again == spec and hash(again) == hash(spec) and again.to_query() == spec.to_query()
