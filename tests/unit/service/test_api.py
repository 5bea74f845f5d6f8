"""Cached entry points: cached answers equal fresh ones, keys, errors as results."""

from __future__ import annotations

import dataclasses
import math
import pickle
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from analysis.data import registry
from analysis.data.schema import default_covariates
from analysis.errors import AnalysisError
from analysis.selection.filters import ATTRITION_COLUMNS, FilterSpec, apply_filters
from analysis.service import api, cache
from analysis.settings import BUNDLED_COHORT, Settings


@pytest.fixture(autouse=True)
def simple_cache():
    """An empty SimpleCache (and no kept frames) per test; previous backend restored."""
    previous = cache._backend
    cache.configure(Settings(cache_type="SimpleCache"))
    api._selection.cache_clear()
    yield
    cache._backend = previous
    api._selection.cache_clear()


@pytest.fixture(scope="module")
def bundled() -> str:
    """Fingerprint of the bundled simulated cohort, registered in this process."""
    assert BUNDLED_COHORT.exists(), f"{BUNDLED_COHORT} is missing (it is committed)"
    from analysis.data.loader import load_bundled

    return registry.register(load_bundled())


@pytest.fixture(scope="module")
def half(bundled) -> str:
    """A second dataset: the first 700 patients of the bundled cohort."""
    ds = registry.get(bundled)
    sub = dataclasses.replace(
        ds, frame=ds.frame.iloc[:700].copy(),
        provenance=dataclasses.replace(ds.provenance, fingerprint="test-half-" + bundled[:8]))
    return registry.register(sub)


def assert_same(a, b, where="result"):
    """Deep equality for results: frames, dataclasses, dicts, tuples, NaN-aware floats."""
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, obj=where)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, obj=where)
    elif dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), where
        for f in dataclasses.fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b), where
    else:
        assert a == b, where


ENTRIES = [
    ("selection", api.selection, api._selection_cached, ("age=50-70&sex=male",)),
    ("overview", api.overview, api._overview, ("", "delta_pav")),
    ("baseline_table", api.baseline_table, api._baseline_table, ("diabetes=no",)),
    ("progression", api.progression, api._progression, ("", "delta_tav", 20)),
    ("comparison", api.comparison, api._comparison,
     ("sex=male", "delta_pav", ("pav_baseline", "age"), "equal")),
    ("therapy", api.therapy, api._therapy,
     ("ldl_cut=80", "delta_pav", "ldl_intensive", None, "proportional")),
]


@pytest.mark.parametrize("name, public, cached, args", ENTRIES, ids=[e[0] for e in ENTRIES])
def test_cached_answer_equals_a_fresh_one(bundled, monkeypatch, name, public, cached, args):
    first = public(bundled, *args)
    assert first.ok, first.error
    assert first.errors == {}, first.errors
    assert first.entry == name and first.fingerprint == bundled
    again = public(bundled, *args)
    # Served from the cache: the apply step is not run again.
    monkeypatch.setattr(api, "apply_filters", lambda *a, **k: pytest.fail("recomputed"))
    api._selection.cache_clear()
    third = public(bundled, *args)
    monkeypatch.undo()
    api._selection.cache_clear()
    fresh = cached.uncached(bundled, *args)
    assert_same(again, first)
    assert_same(third, first)
    assert_same(fresh, first)
    assert_same(pickle.loads(pickle.dumps(first)), first)


def test_selection_numbers_match_apply_filters(bundled):
    frame = registry.get(bundled).frame
    res = api.selection(bundled, "age=50-70&sex=male")
    direct = apply_filters(frame, FilterSpec.from_query("age=50-70&sex=male"))
    assert_same(res.attrition, direct.attrition)
    assert res.n_by_group == direct.n_by_group
    # independent count with a plain pandas mask
    mask = (frame["calcification"].isin(["none", "spotty"]) & frame["age"].between(50, 70)
            & (frame["sex"] == "male").fillna(False))
    assert res.n == int(mask.sum())
    assert res.filters == ("Age 50-70 years", "Sex: male",
                           "Patients with a missing value in a filtered variable: excluded")
    assert res.data_label.startswith("Simulated data")


def test_equal_selections_share_one_entry(bundled, monkeypatch):
    a = api.overview(bundled, "sex=male&age=50.0-70")
    monkeypatch.setattr(api, "apply_filters", lambda *a, **k: pytest.fail("recomputed"))
    b = api.overview(bundled, "?age=50-70&sex=MALE&missing=exclude")
    assert a.query == b.query == "age=50-70&sex=male"
    assert_same(a, b)


def test_keys_differ_for_fingerprint_spec_and_options(bundled, half):
    key = api._comparison.cache_key
    base = key(bundled, "", "delta_pav", None, "proportional")
    others = [
        key(half, "", "delta_pav", None, "proportional"),
        key(bundled, "sex=male", "delta_pav", None, "proportional"),
        key(bundled, "", "delta_tav", None, "proportional"),
        key(bundled, "", "delta_pav", ("age",), "proportional"),
        key(bundled, "", "delta_pav", (), "proportional"),
        key(bundled, "", "delta_pav", None, "equal"),
    ]
    others.append(key(bundled, "", "delta_pav", None, "proportional", False))
    assert len({base, *others}) == 8
    assert api._overview.cache_key(bundled, "", "delta_pav") != api._therapy.cache_key(
        bundled, "", "delta_pav", "ldl_intensive", None, "proportional")


def test_two_datasets_give_their_own_answers(bundled, half):
    full, part = api.selection(bundled, ""), api.selection(half, "")
    # the bundled study holds the 1,347 compared patients and others with other
    # calcification, which the default selection leaves out
    bundled_frame = registry.get(bundled).frame
    assert full.n == len(bundled_frame) - int((bundled_frame["calcification"] == "other").sum())
    assert full.n == 1347
    frame = registry.get(half).frame
    assert part.n == int(frame["calcification"].isin(["none", "spotty"]).sum())
    assert part.n < full.n


def test_overview_ends_with_the_model_step(bundled):
    res = api.overview(bundled, "age=-65")
    att = res.attrition
    assert att["step"].tolist() == ["start", "groups", "age", "model"]
    fit = res["ancova"]
    data = api.filtered_frame(bundled, "age=-65")
    # independent complete-case count: rows with the outcome and every default covariate
    needed = ["delta_pav", *default_covariates("delta_pav")]
    complete = data[data["calcification"].isin(["none", "spotty"])][needed].dropna()
    assert att["n"].iloc[-1] == fit.n_used == len(complete)
    assert att["n_excluded"].iloc[-1] == att["n"].iloc[-2] - len(complete)
    assert res.n == att["n"].iloc[-2]  # n_by_group is the selection, before the model


def test_model_attrition_arithmetic_by_hand():
    # Hand example: 100 left after filters (40 none, 55 spotty, 5 other); the model
    # used 37 none + 50 spotty = 87 -> 13 excluded, of which 8 (95 - 87) for missing
    # values and 5 for being outside the comparison.
    attrition = pd.DataFrame([["groups", "g", 100, 0, 0, 0, 40, 55]], columns=ATTRITION_COLUMNS)
    fit = SimpleNamespace(n_used=87, covariates=("age",),
                          ls_means=pd.DataFrame({"level": ["none", "spotty"], "n": [37, 50]}))
    out = api.model_attrition(attrition, fit, "delta_pav")
    last = out.iloc[-1]
    assert (last["n"], last["n_excluded"], last["n_excluded_missing"]) == (87, 13, 8)
    assert (last["n_none"], last["n_spotty"]) == (37, 50)
    assert "ΔPAV" in last["description"] and "Age" in last["description"]
    assert len(attrition) == 1  # input not changed


def test_bad_query_and_unknown_dataset_are_results_not_raises(bundled):
    bad = api.overview(bundled, "age=old")
    assert not bad.ok and "age" in bad.error and "'old'" in bad.error
    assert bad.parts == {} and bad.messages() == [bad.error]
    missing = api.comparison("0" * 64, "")
    assert not missing.ok and "no dataset" in missing.error
    opt = api.therapy(bundled, "", "delta_pav", "statin")
    assert not opt.ok and "'statin'" in opt.error and "ldl_intensive" in opt.error
    assert "'median'" in api.comparison(bundled, "", "delta_pav", None, "median").error
    assert "'pav'" in api.overview(bundled, "", "pav").error
    assert "'nope'" in api.comparison(bundled, "", "delta_pav", ("nope",)).error
    assert "bins" in api.progression(bundled, "", "delta_pav", 0).error


def test_unknown_dataset_error_is_not_cached(bundled):
    ds = registry.get(bundled)
    fp = "test-late-" + bundled[:8]
    assert not api.selection(fp, "").ok
    registry.register(dataclasses.replace(
        ds, provenance=dataclasses.replace(ds.provenance, fingerprint=fp)))
    assert api.selection(fp, "").ok  # registered later: now computed


def test_analysis_error_is_kept_per_part_and_cached(bundled, monkeypatch):
    res = api.comparison(bundled, "groups=spotty")  # no "none" group: cannot compare
    assert res.ok and res.n_by_group == {"spotty": 922}
    assert set(res.errors) == {"ancova", "subgroups"} and res.parts == {}
    assert all(msg for msg in res.errors.values())
    assert res.messages()[0].startswith("ancova: ")
    import analysis.stats.linear.models

    def boom(*a, **k):
        raise AnalysisError("recomputed")

    monkeypatch.setattr(analysis.stats.linear.models, "ancova", boom)
    again = api.comparison(bundled, "groups=spotty")
    assert again.errors == res.errors  # from the cache, not recomputed


def test_comparison_without_subgroups(bundled):
    res = api.comparison(bundled, "", "delta_pav", (), "proportional", False)
    assert set(res.parts) == {"ancova"} and dict(res.options)["subgroups"] is False
    # unadjusted model: LS means are the raw group means (independent: pandas groupby)
    data = api.filtered_frame(bundled, "")
    raw = data.groupby("calcification", observed=True)["delta_pav"].mean()
    ls = res["ancova"].ls_means.set_index("level")["ls_mean"]
    assert ls["none"] == pytest.approx(raw["none"]) and ls["spotty"] == pytest.approx(raw["spotty"])
    assert api._comparison.cache_key(bundled, "", "delta_pav", (), "proportional", False) != \
        api._comparison.cache_key(bundled, "", "delta_pav", (), "proportional", True)


def test_dash_lists_become_tuples(bundled, monkeypatch):
    a = api.comparison(bundled, "", "delta_pav", ["pav_baseline", "age"])
    monkeypatch.setattr(api, "apply_filters", lambda *a, **k: pytest.fail("recomputed"))
    b = api.comparison(bundled, "", "delta_pav", ("pav_baseline", "age"))
    assert a.options == b.options
    assert dict(a.options)["covariates"] == ("pav_baseline", "age")
    assert a["ancova"].covariates == ("pav_baseline", "age")


def test_filtered_frame_is_a_safe_copy(bundled):
    frame = api.filtered_frame(bundled, "diabetes=yes")
    assert frame["diabetes"].eq(True).all()
    assert frame.index.is_monotonic_increasing
    frame.loc[frame.index[0], "age"] = -1.0
    again = api.filtered_frame(bundled, "diabetes=yes")
    assert again["age"].iloc[0] != -1.0  # copy-on-write: the kept frame is unchanged
    assert not np.any(registry.get(bundled).frame["age"] == -1.0)


def test_therapy_cut_point_reaches_the_model(bundled):
    frame = registry.get(bundled).frame
    res = api.therapy(bundled, "ldl_cut=80", "delta_pav", "ldl_intensive")
    cells = res["interaction"].cells
    n_intensive = int(cells.loc[cells["modifier_level"] == "intensive", "n"].sum())
    # independent: complete cases with LDL-C < 80 among none/spotty
    needed = ["delta_pav", "ldl_c", *default_covariates("delta_pav")]
    data = frame[frame["calcification"].isin(["none", "spotty"])][needed].dropna()
    assert n_intensive == int((data["ldl_c"] < 80).sum())


def test_file_system_cache_serves_an_equal_answer(bundled, tmp_path, monkeypatch):
    cache.configure(Settings(cache_type="FileSystemCache", cache_dir=str(tmp_path)))
    first = api.overview(bundled, "diabetes=yes")
    cache.configure(Settings(cache_type="FileSystemCache", cache_dir=str(tmp_path)))
    api._selection.cache_clear()
    monkeypatch.setattr(api, "apply_filters", lambda *a, **k: pytest.fail("recomputed"))
    second = api.overview(bundled, "diabetes=yes")  # unpickled from disk
    assert_same(second, first)
