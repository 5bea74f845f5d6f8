"""Distribution summaries: numpy/scipy references, hand values, bounded size."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.errors import AnalysisError
from analysis.stats import distributions as dist

NONE = [-1.0, 0.0, 0.5, 1.0, 2.0]  # tiny cohort delta_pav, group none
SPOTTY = [1.0, 2.0, -0.5, 1.5, 3.0]  # group spotty (one more patient is missing)


def values(data, level, column="delta_pav"):
    return data.loc[data["calcification"] == level, column].dropna().to_numpy(float)


# --- histogram -----------------------------------------------------------------------


def test_histogram_matches_numpy_on_shared_edges(random_cohort):
    h = dist.histogram(random_cohort, "delta_pav", bins=20)
    a, b = values(random_cohort, "none"), values(random_cohort, "spotty")
    edges = np.histogram_bin_edges(np.concatenate([a, b]), bins=20)  # reference: numpy
    for level, x in (("none", a), ("spotty", b)):
        part = h[h["level"] == level]
        assert len(part) == 20
        assert part["count"].sum() == len(x)  # counts sum to n
        np.testing.assert_array_equal(part["count"].to_numpy(int), np.histogram(x, edges)[0])
        np.testing.assert_allclose(part["density"], np.histogram(x, edges, density=True)[0])
        np.testing.assert_allclose(part["left"], edges[:-1])
        assert part["pct"].sum() == pytest.approx(100.0)
    # same edges for both groups
    np.testing.assert_array_equal(h.loc[h["level"] == "none", "left"].to_numpy(),
                                  h.loc[h["level"] == "spotty", "left"].to_numpy())


def test_histogram_counts_missing_and_size_does_not_grow(tiny_cohort, random_cohort):
    h = dist.histogram(tiny_cohort, "delta_pav", bins=6)
    spotty = h[h["level"] == "spotty"]
    assert (spotty["n"] == 5).all() and (spotty["n_missing"] == 1).all()
    # width (3 - -1) / 6; first bin [-1, -0.333): none has -1 -> density 1 / (5 * 4/6) = 0.3
    assert h.iloc[0]["density"] == pytest.approx(1 / (5 * 4 / 6))
    assert len(dist.histogram(random_cohort, "age", bins=30)) == 60  # 2 groups x 30 bins


def test_histogram_bad_bins_is_a_clear_error(tiny_cohort):
    with pytest.raises(AnalysisError, match="'bins'"):
        dist.histogram(tiny_cohort, "age", bins=0)


# --- box summary ---------------------------------------------------------------------


def test_box_summary_tukey_by_hand(frame_from):
    # none: 1..9 and 30 -> q1 3.25, q3 7.75 (linear), IQR 4.5, upper fence 14.5:
    # 30 is an outlier, the upper whisker ends at 9 (largest value inside the fence).
    vals = [1, 2, 3, 4, 5, 6, 7, 8, 9, 30]
    data = frame_from({"calcification": ["none"] * 10 + ["spotty"] * 3,
                       "age": vals + [40, 50, 60]})
    r = dist.box_summary(data, "age").set_index("level").loc["none"]
    assert (r["q1"], r["median"], r["q3"]) == pytest.approx((3.25, 5.5, 7.75))
    assert (r["whisker_low"], r["whisker_high"]) == (1, 9)
    assert r["n_outliers"] == 1 and r["outliers"] == (30.0,)
    assert r["mean"] == pytest.approx(7.5)  # 75 / 10


def test_box_summary_caps_outliers_deterministically(frame_from):
    rng = np.random.default_rng(1)
    core = rng.normal(0, 1, 400)
    far = np.concatenate([np.linspace(50, 100, 60), np.linspace(-100, -50, 60)])
    data = frame_from({"calcification": ["none"] * 520, "age": np.concatenate([core, far])})
    r = dist.box_summary(data, "age", levels=("none",)).iloc[0]
    assert r["n_outliers"] >= 120
    assert len(r["outliers"]) == 50
    assert min(r["outliers"]) == -100 and max(r["outliers"]) == 100  # extremes kept
    shuffled = data.sample(frac=1.0, random_state=2)
    assert dist.box_summary(shuffled, "age", levels=("none",)).iloc[0]["outliers"] == r["outliers"]


# --- KDE -----------------------------------------------------------------------------


def test_kde_two_points_by_hand(frame_from):
    # two values 0 and 2: SD sqrt(2), Scott factor n^(-1/5) = 2^(-0.2);
    # density(x) = mean of normal pdfs centred at 0 and 2 with SD h = sqrt(2) * 2^(-0.2)
    data = frame_from({"calcification": ["none", "none", "spotty", "spotty", "spotty"],
                       "age": [0.0, 2.0, 5.0, 6.0, 8.0]})
    k = dist.kde(data, "age", points=50)
    part = k[k["level"] == "none"]
    h = math.sqrt(2) * 2 ** -0.2
    expected = (stats.norm.pdf(part["x"], 0, h) + stats.norm.pdf(part["x"], 2, h)) / 2
    np.testing.assert_allclose(part["density"], expected, rtol=1e-10)
    assert part["bandwidth"].iloc[0] == pytest.approx(h)
    # shared grid
    np.testing.assert_array_equal(part["x"].to_numpy(), k.loc[k["level"] == "spotty", "x"].to_numpy())


def test_kde_integrates_to_about_one(random_cohort):
    k = dist.kde(random_cohort, "hdl_c", points=400)
    for level in ("none", "spotty"):
        part = k[k["level"] == level]
        assert len(part) == 400
        area = np.trapezoid(part["density"], part["x"])
        assert area == pytest.approx(1.0, abs=0.01)  # grid spans the data +- 3 bandwidths


def test_kde_small_or_constant_group_gives_note_not_error(frame_from):
    data = frame_from({"calcification": ["none", "spotty", "spotty", "spotty"],
                       "age": [50.0, 60.0, 60.0, 60.0]})
    k = dist.kde(data, "age")
    assert len(k) == 0
    assert list(k.columns) == dist.KDE_COLUMNS
    assert len(k.attrs["notes"]) == 2


# --- ECDF ----------------------------------------------------------------------------


def test_ecdf_small_group_is_exact_step_function(tiny_cohort):
    e = dist.ecdf(tiny_cohort, "delta_pav")
    none = e[e["level"] == "none"]
    # sorted -1, 0, 0.5, 1, 2: fractions <= x are 1/5 .. 5/5
    np.testing.assert_allclose(none["x"], sorted(NONE))
    np.testing.assert_allclose(none["p"], [0.2, 0.4, 0.6, 0.8, 1.0])


def test_ecdf_bounded_and_exact_at_points(random_cohort):
    e = dist.ecdf(random_cohort, "tav_baseline", points=50)
    for level in ("none", "spotty"):
        part = e[e["level"] == level]
        x = values(random_cohort, level, "tav_baseline")
        assert len(part) <= 50
        assert part["x"].iloc[0] == x.min() and part["x"].iloc[-1] == x.max()
        for xi, pi in zip(part["x"], part["p"], strict=True):
            assert pi == pytest.approx((x <= xi).mean())  # reference: fraction <= x


# --- paired summary ------------------------------------------------------------------


def test_paired_summary_complete_pairs_and_t_interval(tiny_cohort):
    p = dist.paired_summary(tiny_cohort, "pav_baseline", "pav_followup")
    spotty = p[p["level"] == "spotty"].set_index("time")
    # the spotty patient without follow-up is left out of both times
    assert (spotty["n"] == 5).all() and (spotty["n_missing"] == 1).all()
    base = [40, 42, 44, 46, 48]  # hand: baseline PAV of the 5 complete spotty pairs
    assert spotty.loc["baseline", "mean"] == pytest.approx(44.0)
    ci = stats.ttest_1samp(base, 0).confidence_interval(0.95)  # reference: scipy t interval
    assert (spotty.loc["baseline", "ci_low"], spotty.loc["baseline", "ci_high"]) == pytest.approx(
        (ci.low, ci.high))
    assert spotty.loc["follow-up", "mean"] == pytest.approx((41 + 44 + 43.5 + 47.5 + 51) / 5)
    assert list(p["time"]) == ["baseline", "follow-up"] * 2


# --- common properties -----------------------------------------------------------------


@pytest.mark.parametrize("fn", [dist.histogram, dist.box_summary, dist.kde, dist.ecdf])
def test_inputs_not_mutated_and_row_order_invariant(fn, random_cohort):
    before = random_cohort.copy(deep=True)
    a = fn(random_cohort, "hdl_c")
    pd.testing.assert_frame_equal(random_cohort, before)
    b = fn(random_cohort.sample(frac=1.0, random_state=11), "hdl_c")
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-10)


@pytest.mark.parametrize("fn", [dist.histogram, dist.box_summary, dist.kde, dist.ecdf])
def test_empty_group_does_not_raise(fn, tiny_cohort):
    data = tiny_cohort[tiny_cohort["calcification"] != "spotty"]
    out = fn(data, "age")
    assert any("'spotty'" in n for n in out.attrs["notes"])
    assert set(out["level"]) <= {"none", "spotty"}


def test_bad_column_is_a_clear_error(tiny_cohort):
    with pytest.raises(AnalysisError, match="'diabetes' is not numeric"):
        dist.ecdf(tiny_cohort, "diabetes")
    with pytest.raises(AnalysisError, match="'nope' is not in the data"):
        dist.paired_summary(tiny_cohort, "nope", "pav_followup")


def test_all_missing_variable_keeps_missing_counts(frame_from):
    data = frame_from({"calcification": ["none", "none", "spotty"],
                       "age": [np.nan, np.nan, np.nan]})
    h = dist.histogram(data, "age")
    assert len(h) == 0
    assert h.attrs["n_missing"] == {"none": 2, "spotty": 1}  # counted by hand


def test_paired_summary_empty_group_is_noted(tiny_cohort):
    data = tiny_cohort[tiny_cohort["calcification"] != "spotty"]
    p = dist.paired_summary(data, "pav_baseline", "pav_followup")
    assert (p.loc[p["level"] == "spotty", "n"] == 0).all()
    assert p.loc[p["level"] == "spotty", "mean"].isna().all()
    assert any("'spotty' has 0 complete pair(s)" in n for n in p.attrs["notes"])
