"""Cached entry points: cached answers equal fresh ones, keys, errors as results."""

from __future__ import annotations

import dataclasses
import math
import pickle
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from analysis import settings as settings_mod
from analysis.data import registry
from analysis.data.schema import default_covariates
from analysis.errors import AnalysisError
from analysis.selection import ATTRITION_COLUMNS, FilterSpec, apply_filters
from analysis.service import api, cache
from analysis.settings import BUNDLED_COHORT, Settings


@pytest.fixture(autouse=True)
def simple_cache():
    """An empty SimpleCache (and no kept frames or queries) per test; backend restored."""
    previous = cache._backend
    cache.configure(Settings(cache_type="SimpleCache"))
    cache.clear()
    yield
    cache._backend = previous
    cache.clear()


def _forget_local():
    """Drop this process's memos (filtered frames, parsed queries), keep the shared cache."""
    for memo in cache._local_memos:
        memo.cache_clear()


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
    ("selection", api.selection, ("age=50-70&sex=male",)),
    ("table_one", api.table_one, ("diabetes=no",)),
    ("progression_summary", api.progression, ("", "delta_tav")),
    ("histogram", api.distribution, ("", "delta_tav", "histogram", 20)),
    ("paired", api.paired, ("sex=female", "delta_pav")),
    ("ancova", api.ancova, ("sex=male", "delta_pav", ("pav_baseline", "age"), "equal")),
    ("subgroups", api.subgroups, ("", "delta_pav")),
    ("dose_response", api.dose_response, ("", "delta_pav", "equal")),
    ("interaction", api.interaction,
     ("ldl_cut=80", "delta_pav", "ldl_intensive", None, "proportional")),
    ("continuous_interaction", api.continuous_interaction, ("", "delta_pav", "sbp_intensive")),
]


@pytest.mark.parametrize("name, public, args", ENTRIES, ids=[e[0] for e in ENTRIES])
def test_cached_answer_equals_a_fresh_one(bundled, monkeypatch, name, public, args):
    first = public(bundled, *args)
    assert first.ok, first.error
    assert first.entry == name and first.selection.fingerprint == bundled
    again = public(bundled, *args)
    # Served from the cache: the filter step is not run again.
    monkeypatch.setattr(api, "apply_filters", lambda *a, **k: pytest.fail("recomputed"))
    _forget_local()
    third = public(bundled, *args)
    monkeypatch.undo()
    cache.clear()
    fresh = public(bundled, *args)  # computed again from an empty cache
    assert_same(again, first)
    assert_same(third, first)
    assert_same(fresh, first)
    assert_same(pickle.loads(pickle.dumps(first)), first)


def test_selection_numbers_match_apply_filters(bundled):
    frame = registry.get(bundled).frame
    res = api.selection(bundled, "age=50-70&sex=male").value
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
    a = api.ancova(bundled, "sex=male&age=50.0-70")
    monkeypatch.setattr(api, "apply_filters", lambda *a, **k: pytest.fail("recomputed"))
    b = api.ancova(bundled, "?age=50-70&sex=MALE&missing=exclude")
    assert a.selection.query == b.selection.query == "age=50-70&sex=male"
    assert_same(a, b)


def test_keys_differ_for_fingerprint_spec_and_options(bundled, half):
    key = api._ancova_cached.cache_key
    base = key(bundled, "", "delta_pav", None, "proportional", True)
    others = [
        key(half, "", "delta_pav", None, "proportional", True),
        key(bundled, "sex=male", "delta_pav", None, "proportional", True),
        key(bundled, "", "delta_tav", None, "proportional", True),
        key(bundled, "", "delta_pav", ("age",), "proportional", True),
        key(bundled, "", "delta_pav", (), "proportional", True),
        key(bundled, "", "delta_pav", None, "equal", True),
        key(bundled, "", "delta_pav", None, "proportional", False),
    ]
    assert len({base, *others}) == 8
    assert api._subgroups_cached.cache_key(bundled, "", "delta_pav", None, "proportional") != \
        api._interaction_cached.cache_key(bundled, "", "delta_pav", "ldl_intensive", None,
                                          "proportional")


def test_raw_means_fit_no_covariates_and_share_one_entry(bundled, monkeypatch):
    raw = api.ancova(bundled, "", "delta_pav", ("pav_baseline", "age"), "equal", means="raw")
    assert raw.value.covariates == () and raw.value.weights == "proportional"
    monkeypatch.setattr(api, "apply_filters", lambda *a, **k: pytest.fail("recomputed"))
    same = api.ancova(bundled, "", "delta_pav", None, "proportional", means="raw")
    assert_same(raw, same)
    # unadjusted model: LS means are the raw group means (independent: pandas groupby)
    data = api.filtered_frame(bundled, "")
    means = data.groupby("calcification", observed=True)["delta_pav"].mean()
    ls = raw.value.ls_means.set_index("level")["ls_mean"]
    assert ls["none"] == pytest.approx(means["none"]) and \
        ls["spotty"] == pytest.approx(means["spotty"])


def test_two_datasets_give_their_own_answers(bundled, half):
    full, part = api.selection(bundled, "").value, api.selection(half, "").value
    # the bundled study holds the 1,347 compared patients and others with other
    # calcification, which the default selection leaves out
    bundled_frame = registry.get(bundled).frame
    assert full.n == len(bundled_frame) - int((bundled_frame["calcification"] == "other").sum())
    assert full.n == 1347
    frame = registry.get(half).frame
    assert part.n == int(frame["calcification"].isin(["none", "spotty"]).sum())
    assert part.n < full.n


def test_model_attrition_ends_with_the_model_step(bundled):
    res = api.ancova(bundled, "age=-65")
    att = api.model_attrition(res.selection.attrition, res.value, "delta_pav")
    assert att["step"].tolist() == ["start", "groups", "age", "model"]
    fit = res.value
    data = api.filtered_frame(bundled, "age=-65")
    # independent complete-case count: rows with the outcome and every default covariate
    needed = ["delta_pav", *default_covariates("delta_pav")]
    complete = data[data["calcification"].isin(["none", "spotty"])][needed].dropna()
    assert att["n"].iloc[-1] == fit.n_used == len(complete)
    assert att["n_excluded"].iloc[-1] == att["n"].iloc[-2] - len(complete)
    assert res.selection.n == att["n"].iloc[-2]  # the selection, before the model


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
    bad = api.ancova(bundled, "age=old")
    assert not bad.ok and bad.selection is None and "age" in bad.error and "'old'" in bad.error
    missing = api.ancova("0" * 64, "")
    assert not missing.ok and "no dataset" in missing.error
    opt = api.interaction(bundled, "", "delta_pav", "statin")
    assert not opt.ok and "'statin'" in opt.error and "ldl_intensive" in opt.error
    assert "'median'" in api.ancova(bundled, "", "delta_pav", None, "median").error
    assert "'pav'" in api.ancova(bundled, "", "pav").error
    assert "'nope'" in api.ancova(bundled, "", "delta_pav", ("nope",)).error
    assert "'mean'" in api.ancova(bundled, "", "delta_pav", means="mean").error
    assert "bins" in api.distribution(bundled, "", "delta_pav", "histogram", 0).error
    assert "'violin'" in api.distribution(bundled, "", "delta_pav", "violin").error
    with pytest.raises(AnalysisError, match="could not|'old'"):
        bad.unwrap()


def test_unknown_dataset_error_is_not_cached(bundled):
    ds = registry.get(bundled)
    fp = "test-late-" + bundled[:8]
    assert not api.selection(fp, "").ok
    registry.register(dataclasses.replace(
        ds, provenance=dataclasses.replace(ds.provenance, fingerprint=fp)))
    assert api.selection(fp, "").ok  # registered later: now computed


def test_analysis_error_is_a_cached_result(bundled, monkeypatch):
    res = api.ancova(bundled, "groups=spotty")  # no "none" group: cannot compare
    assert not res.ok and res.selection is not None
    assert res.n_by_group == {"spotty": 922} and res.value is None
    assert "'none' group has 0 patients" in res.error

    def boom(*a, **k):
        raise AnalysisError("recomputed")

    monkeypatch.setattr(api, "_overall_model", boom)
    again = api.ancova(bundled, "groups=spotty")
    assert again.error == res.error  # from the cache, not recomputed


def test_dash_lists_become_tuples(bundled, monkeypatch):
    a = api.ancova(bundled, "", "delta_pav", ["pav_baseline", "age"])
    monkeypatch.setattr(api, "apply_filters", lambda *a, **k: pytest.fail("recomputed"))
    b = api.ancova(bundled, "", "delta_pav", ("pav_baseline", "age"))
    assert a.options == b.options
    assert dict(a.options)["covariates"] == ("pav_baseline", "age")
    assert a.value.covariates == ("pav_baseline", "age")


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
    res = api.interaction(bundled, "ldl_cut=80", "delta_pav", "ldl_intensive")
    cells = res.value.cells
    n_intensive = int(cells.loc[cells["modifier_level"] == "intensive", "n"].sum())
    # independent: complete cases with LDL-C < 80 among none/spotty
    needed = ["delta_pav", "ldl_c", *default_covariates("delta_pav")]
    data = frame[frame["calcification"].isin(["none", "spotty"])][needed].dropna()
    assert n_intensive == int((data["ldl_c"] < 80).sum())
    assert res.selection.spec.ldl_cut == 80


def test_file_system_cache_serves_an_equal_answer(bundled, tmp_path, monkeypatch):
    cache.configure(Settings(cache_type="FileSystemCache", cache_dir=str(tmp_path)))
    first = api.ancova(bundled, "diabetes=yes")
    cache.configure(Settings(cache_type="FileSystemCache", cache_dir=str(tmp_path)))
    _forget_local()
    monkeypatch.setattr(api, "apply_filters", lambda *a, **k: pytest.fail("recomputed"))
    second = api.ancova(bundled, "diabetes=yes")  # unpickled from disk
    assert_same(second, first)


def test_ancova_and_subgroups_of_a_selection_fit_the_overall_model_once(bundled, monkeypatch):
    import analysis.stats.linear.overall as overall

    calls = []
    real = overall.fit

    def counting(md):
        calls.append(md.n)
        return real(md)

    monkeypatch.setattr(overall, "fit", counting)
    anc = api.ancova(bundled, "age=40-80", "delta_pav")
    sub = api.subgroups(bundled, "age=40-80", "delta_pav")
    assert len(calls) == 1  # the subgroups reused the ANCOVA's fit (process memo)
    # reference: the overall row of the subgroups is the ANCOVA's contrast
    assert sub.value.table.iloc[0]["estimate"] == pytest.approx(
        anc.value.contrast["estimate"].iloc[0], abs=1e-12)
    api.ancova(bundled, "age=40-80", "delta_pav", ["age"])
    assert len(calls) == 2  # other covariates: another model


def test_a_setting_that_changes_results_is_part_of_the_key(bundled):
    # a result computed under one smallest-group size is never served under another
    # (a restart with EXPLORER_MIN_GROUP_N changed, or two servers sharing one Redis):
    # the 'none' group has 425 patients in the bundled cohort
    previous = settings_mod.current()
    try:
        assert api.ancova(bundled, "").error is None
        settings_mod.configure(dataclasses.replace(previous, min_group_n=500))
        _forget_local()
        refused = api.ancova(bundled, "")
        assert refused.error and "425 patients" in refused.error and "500" in refused.error
        assert api.subgroups(bundled, "").error
        settings_mod.configure(dataclasses.replace(previous, port=9999))  # served elsewhere
        key = api._ancova_cached.cache_key(bundled, "", "delta_pav", None, "proportional", True)
        settings_mod.configure(previous)
        assert api._ancova_cached.cache_key(bundled, "", "delta_pav", None, "proportional",
                                            True) == key
    finally:
        settings_mod.configure(previous)
