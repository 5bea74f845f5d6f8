"""The simulated-cohort generator: determinism, dtypes, ranges, lesions, sizes, files."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import fields

import numpy as np
import pandas as pd
import pytest

from analysis.cohort.params import PARAMS, parameter_table
from analysis.cohort.simulate import (
    SEED,
    SimulationError,
    bundled_cohort,
    main,
    simulate_cohort,
    write_bundled,
    write_cohort,
)
from analysis.data import derive, schema
from analysis.errors import ExplorerError
from analysis.selection import FilterSpec, apply_filters
from analysis.settings import BUNDLED_COHORT, BUNDLED_LESIONS, DATA_DIR, ROOT


@pytest.fixture(scope="module")
def default():
    """The bundled study: 922 spotty, 425 none and the patients with other calcium."""
    return bundled_cohort()


def test_same_seed_gives_the_same_cohort(default):
    patients, lesions = bundled_cohort()
    pd.testing.assert_frame_equal(patients, default[0])
    pd.testing.assert_frame_equal(lesions, default[1])


def test_comparison_groups_do_not_depend_on_the_other_patients(default):
    # each group has its own random streams: adding patients with other calcium leaves
    # the spotty and no-calcification patients as they are (up to row order and ids)
    alone, _ = simulate_cohort(seed=SEED)
    cols = ["calcification", "age", "pav_baseline", "pav_followup", "tav_baseline", "ldl_c"]

    def compared(frame):
        x = frame[frame["calcification"] != "other"][cols]
        x = x.assign(calcification=x["calcification"].astype("str"))
        return x.sort_values(cols, ignore_index=True)

    pd.testing.assert_frame_equal(compared(default[0]), compared(alone))


def test_different_seeds_give_different_cohorts(default):
    patients, _ = simulate_cohort(seed=SEED + 1)
    assert not patients["pav_baseline"].equals(default[0]["pav_baseline"])
    assert not patients["calcification"].equals(default[0]["calcification"])


def test_columns_are_the_dictionary_file_columns_in_order(default):
    patients, lesions = default
    assert list(patients.columns) == [v.name for v in schema.file_columns()]
    assert list(lesions.columns) == ["patient_id", "arc_deg", "length_mm"]
    assert not set(patients.columns) & {v.name for v in schema.PATIENT_VARIABLES if v.derived}


def test_dtypes_follow_the_dictionary(default):
    patients, lesions = default
    for var in schema.file_columns():
        dtype = patients[var.name].dtype
        if var.dtype == "category":
            assert isinstance(dtype, pd.CategoricalDtype), var.name
            if var.levels:
                assert list(dtype.categories) == list(var.levels), var.name
                assert dtype.ordered == var.ordered, var.name
        else:
            assert dtype == var.pandas_dtype(), var.name
    assert lesions["patient_id"].dtype == "str"
    assert lesions["arc_deg"].dtype == "float64" and lesions["length_mm"].dtype == "float64"


def test_no_missing_values_and_unique_ids(default):
    patients, _ = default
    assert not patients.isna().any().any()
    assert patients["patient_id"].is_unique


def test_trials_and_follow_up(default):
    patients, _ = default
    trials = list(patients["trial"].cat.categories)
    assert 6 <= len(trials) <= 7 and all(t.startswith("TRIAL-") for t in trials)
    # serial IVUS follow-up typically 18-24 months (study notes); a few months' spread
    assert patients["followup_months"].between(14, 28).all()


def _check_ranges(patients: pd.DataFrame, which: str) -> list[str]:
    bad = []
    for var in schema.file_columns():
        limits = getattr(var, which)
        if limits is None:
            continue
        values = patients[var.name].astype(float)
        if not values.between(*limits).all():
            bad.append(var.name)
    return bad


def test_values_within_valid_and_plausible_ranges(default):
    patients, lesions = default
    assert _check_ranges(patients, "valid_range") == []
    assert _check_ranges(patients, "plausible_range") == []
    for var in schema.LESION_VARIABLES:
        if var.valid_range:
            assert lesions[var.name].between(*var.valid_range).all(), var.name


def test_skewed_labs_are_right_skewed(default):
    patients, _ = default
    for name in ("triglycerides", "crp"):  # log-normal: mean above median
        assert patients[name].mean() > patients[name].median()
        assert patients[name].skew() > 0.5


def test_lesions_give_back_each_patients_group(default):
    patients, lesions = default
    derived = derive.group_from_lesions(patients["patient_id"], lesions)
    assert derived["calcification"].astype("str").tolist() == \
        patients["calcification"].astype("str").tolist()
    assert derived["n_spotty"].tolist() == patients["n_spotty"].tolist()


def test_lesions_meet_the_spotty_definition_by_hand(default):
    patients, lesions = default
    group = patients.set_index("patient_id")["calcification"].astype("str")
    of = group[lesions["patient_id"]].to_numpy()
    # Kataoka 2012: spotty = deposits 1 to 4 mm long with an arc < 90 degrees
    spotty = lesions[of == "spotty"]
    assert spotty["length_mm"].between(1.0, 4.0).all()
    assert (spotty["arc_deg"] < 90).all()
    assert "none" not in set(of)  # none = no deposit
    counts = patients["n_spotty"][patients["calcification"] == "spotty"]
    assert counts.min() >= 1
    assert counts.between(1, 3).mean() > 0.75  # most spotty patients have 1-3 deposits


def test_other_calcium_is_more_extensive_and_straddles_the_thresholds(default):
    patients, lesions = default
    group = patients.set_index("patient_id")["calcification"].astype("str")
    other = lesions[group[lesions["patient_id"]].to_numpy() == "other"]
    is_spotty = other["length_mm"].between(1.0, 4.0) & (other["arc_deg"] < 90)
    # every patient with other calcium has at least one deposit that is not spotty
    ids = set(patients.loc[patients["calcification"] == "other", "patient_id"])
    assert set(other.loc[~is_spotty, "patient_id"]) == ids
    # extensive deposits: arcs beyond 270 degrees, lengths beyond 12 mm, none past
    # the anatomical limits (360 degrees; ~20 mm)
    assert other["arc_deg"].max() > 270 and other["arc_deg"].max() <= 360
    assert other["length_mm"].max() > 12 and other["length_mm"].max() <= 20
    # deposits just over a threshold (90-100 degrees, 4.1-5 mm) and under 1 mm
    assert other["arc_deg"].between(90, 100).sum() >= 20
    assert other["length_mm"].between(4.1, 5.0).sum() >= 20
    assert (other["length_mm"] < 1.0).sum() >= 20
    # some patients have both spotty and larger deposits
    with_both = patients[(patients["calcification"] == "other") & (patients["n_spotty"] > 0)]
    assert 0.2 < len(with_both) / len(ids) < 0.9


def test_other_calcium_patients_are_extra_rows_outside_the_comparison(default):
    patients, _ = default
    counts = patients["calcification"].astype("str").value_counts()
    # published_summary.json: spotty 922, none 425; the bundled other patients on top
    assert (counts["spotty"], counts["none"], counts["other"]) == \
        (922, 425, PARAMS.bundled_n_other)
    selected = apply_filters(derive.add_derived(patients), FilterSpec())
    step = selected.attrition.set_index("step").loc["groups"]
    assert step["n"] == 922 + 425 and step["n_excluded"] == PARAMS.bundled_n_other
    assert selected.n_by_group == {"none": 425, "spotty": 922}


def test_progression_depends_on_lesion_features(default):
    # params.py assumptions: more spotty deposits -> more progression; patients with
    # other calcium progress less than spotty ones, the less the wider their widest arc.
    # Reference: numpy least squares of delta PAV on the features, by hand below.
    patients, lesions = default
    f = derive.add_derived(patients)
    spotty = f[f["calcification"] == "spotty"]
    slope = np.polyfit(spotty["n_spotty"].astype(float), spotty["delta_pav"], 1)[0]
    assert slope > 0
    other = f[f["calcification"] == "other"].set_index("patient_id")
    group = patients.set_index("patient_id")["calcification"].astype("str")
    large = lesions[(group[lesions["patient_id"]].to_numpy() == "other")
                    & ~(lesions["length_mm"].between(1.0, 4.0) & (lesions["arc_deg"] < 90))]
    widest = large.groupby("patient_id")["arc_deg"].max().reindex(other.index)
    X = np.column_stack([np.ones(len(other)), widest.to_numpy(),
                         other["n_spotty"].astype(float), other["pav_baseline"]])
    beta, *_ = np.linalg.lstsq(X, other["delta_pav"].to_numpy(float), rcond=None)
    assert beta[1] < 0  # wider arcs, slower progression
    assert other["delta_pav"].mean() < spotty["delta_pav"].mean()


def test_spotty_patients_have_more_risk_factors_and_atheroma(default):
    patients, _ = default
    spotty = patients[patients["calcification"] == "spotty"]
    none = patients[patients["calcification"] == "none"]
    assert spotty["age"].mean() > none["age"].mean()
    assert (spotty["sex"] == "male").mean() > (none["sex"] == "male").mean()
    assert spotty["hdl_c"].mean() < none["hdl_c"].mean()
    assert spotty["pav_baseline"].mean() > none["pav_baseline"].mean()
    assert spotty["tav_baseline"].mean() > none["tav_baseline"].mean()


def test_on_treatment_ldl_follows_statin_intensity(default):
    patients, _ = default
    ratio = patients["ldl_c"] / patients["ldl_c_baseline"]
    mean_ratio = ratio.groupby(patients["statin"], observed=True).mean()
    assert mean_ratio["high"] < mean_ratio["moderate"] < mean_ratio["none"]


@pytest.mark.parametrize(("n", "expected_spotty"), [(100, 68), (10_000, 6845)])
def test_other_sizes_keep_the_published_proportion(n, expected_spotty):
    # 922 / 1347 of n, rounded: 100 -> 68.4 -> 68; 10,000 -> 6844.8 -> 6845
    patients, lesions = simulate_cohort(n, seed=3)
    assert len(patients) == n
    counts = patients["calcification"].astype("str").value_counts()
    assert counts["spotty"] == expected_spotty
    assert counts["none"] == n - expected_spotty
    derived = derive.group_from_lesions(patients["patient_id"], lesions)
    assert derived["n_spotty"].tolist() == patients["n_spotty"].tolist()
    assert _check_ranges(patients, "valid_range") == []


def test_larger_cohort_varies_around_the_published_values():
    # A sample of the population model, not rescaled: at n = 10,000 (6,845 spotty) the
    # spotty diabetes % and mean age lie within 3 standard errors of the published values.
    # published_summary.json: diabetes 30% (spotty), age 56.0 (spotty); age SD 10.5 (notes)
    patients, _ = simulate_cohort(10_000, seed=11)
    spotty = patients[patients["calcification"] == "spotty"]
    n = len(spotty)
    se_pct = 100 * np.sqrt(0.30 * 0.70 / n)  # binomial SE of a percentage: 0.55 points
    se_age = 10.5 / np.sqrt(n)  # SE of a mean: 0.127 years
    assert abs(100 * spotty["diabetes"].astype(bool).mean() - 30.0) < 3 * se_pct
    assert abs(spotty["age"].mean() - 56.0) < 3 * se_age


def test_other_calcium_patients_are_outside_the_comparison():
    patients, lesions = simulate_cohort(500, seed=5, n_other=20)
    counts = patients["calcification"].astype("str").value_counts()
    assert counts["other"] == 20
    derived = derive.group_from_lesions(patients["patient_id"], lesions)
    assert derived["calcification"].astype("str").tolist() == \
        patients["calcification"].astype("str").tolist()


def test_requested_spotty_group_size():
    patients, _ = simulate_cohort(300, seed=2, n_spotty_group=150)
    assert (patients["calcification"] == "spotty").sum() == 150


@pytest.mark.parametrize("kwargs", [
    {"n": 5}, {"n": 100.5}, {"n": True}, {"n": 200, "n_spotty_group": 195},
    {"n": 200, "n_other": -1}, {"n": 200, "n_other": 185}, {"n": 100, "seed": -1},
    {"n": 100, "draws": {"tav ": 1}}, {"n": 100, "draws": {"tav": -1}},
    {"n": 100, "draws": {"tav": 1.5}},
])
def test_bad_arguments_raise_a_project_error(kwargs):
    with pytest.raises(SimulationError) as err:
        simulate_cohort(**kwargs)
    assert isinstance(err.value, ExplorerError)
    assert "must" in str(err.value)


def test_every_parameter_has_a_source_and_a_reason():
    table = parameter_table()
    assert len(table) == len(fields(PARAMS))
    assert set(table["source"]) <= {"published", "derived", "assumption"}
    assert (table["reason"].str.len() > 10).all()
    # published_summary.json: groups.spotty.n = 922, groups.none.n = 425
    assert (PARAMS.n_spotty, PARAMS.n_none) == (922, 425)


def test_cli_writes_csv_parquet_and_sidecar(tmp_path):
    out = tmp_path / "cohort.parquet"
    les = tmp_path / "lesions.csv"
    assert main(["--n", "120", "--seed", "9", "--out", str(out), "--lesions-out", str(les)]) == 0
    patients = pd.read_parquet(out)
    expected, expected_lesions = simulate_cohort(120, seed=9)
    pd.testing.assert_frame_equal(patients, expected)  # Parquet keeps the dictionary dtypes
    assert len(pd.read_csv(les)) == len(expected_lesions)
    meta = json.loads((tmp_path / "cohort.parquet.meta.json").read_text())
    assert meta["simulated"] is True and meta["seed"] == 9 and meta["n"] == 120
    assert meta["generator"] == "analysis.cohort.simulate"
    assert meta["label"] == schema.SIMULATED_LABEL


def test_write_cohort_does_not_modify_its_input(tmp_path):
    patients, _ = simulate_cohort(80, seed=4)
    before = patients.copy(deep=True)
    write_cohort(patients, tmp_path / "c.csv", seed=4)
    pd.testing.assert_frame_equal(patients, before)
    written = pd.read_csv(tmp_path / "c.csv")
    assert written["diabetes"].tolist() == patients["diabetes"].astype(int).tolist()
    assert written["sex"].tolist() == patients["sex"].astype("str").tolist()


def test_cli_rejects_an_unknown_extension(tmp_path, capsys):
    assert main(["--n", "100", "--out", str(tmp_path / "cohort.txt")]) == 2
    assert ".csv or .parquet" in capsys.readouterr().out
    assert not (tmp_path / "cohort.txt").exists()


def test_module_runs_from_the_command_line(tmp_path):
    out = tmp_path / "c.csv"
    result = subprocess.run([sys.executable, "-m", "analysis.cohort.simulate", "--n", "60",
                             "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(out)
    assert len(frame) == 60
    assert set(frame["diabetes"].unique()) <= {0, 1}  # canonical booleans as 1/0
    assert json.loads((tmp_path / "c.csv.meta.json").read_text())["n"] == 60


def test_committed_data_is_what_the_generator_writes(tmp_path):
    write_bundled(tmp_path)
    for name in (BUNDLED_COHORT.name, BUNDLED_LESIONS.name, "dictionary.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / name), pd.read_csv(DATA_DIR / name))
    meta = f"{BUNDLED_COHORT.name}.meta.json"
    assert json.loads((tmp_path / meta).read_text()) == json.loads((DATA_DIR / meta).read_text())
    pd.testing.assert_frame_equal(pd.read_csv(DATA_DIR / "dictionary.csv", keep_default_na=False),
                                  schema.dictionary_frame(), check_dtype=False)


def test_committed_csv_round_trips_to_the_generated_values(default):
    patients, _ = default
    raw = pd.read_csv(BUNDLED_COHORT)
    for name in ("pav_baseline", "pav_followup", "tav_baseline", "hdl_c", "age"):
        np.testing.assert_array_equal(raw[name].to_numpy(float), patients[name].to_numpy(float))
    assert raw["diabetes"].tolist() == patients["diabetes"].astype(int).tolist()
