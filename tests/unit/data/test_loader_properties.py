"""Properties of loading (hypothesis): for any small valid table, loading keeps every
row, in file order, with the same values, and never modifies its input (the file's
bytes, or a DataFrame passed in). The expected frame comes from the frame_from fixture (conftest.py).
"""

from __future__ import annotations

import hashlib
import string

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.data.loader import load_dataset
from analysis.data.validation import MISSING_TOKENS

SETTINGS = settings(max_examples=20, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

ids = st.text(alphabet=string.ascii_letters + string.digits + "-_/ ", min_size=1, max_size=8).map(
    str.strip).filter(lambda s: s != "" and s.lower() not in MISSING_TOKENS)


def maybe(strategy):
    return st.one_of(st.none(), strategy)


@st.composite
def tables(draw) -> dict[str, list]:
    """Plain columns of a valid patient table (dictionary names, dictionary codes)."""
    pids = draw(st.lists(ids, min_size=1, max_size=12, unique=True))
    n = len(pids)

    def col(strategy):
        return draw(st.lists(strategy, min_size=n, max_size=n))

    def pct():
        return st.floats(0, 100, allow_nan=False)

    return {
        "patient_id": pids,
        "trial": col(st.sampled_from(["A", "B", "Trial 3"])),
        "age": col(maybe(st.floats(0, 120, allow_nan=False))),
        "sex": col(maybe(st.sampled_from(["female", "male"]))),
        "diabetes": col(maybe(st.booleans())),
        "statin": col(maybe(st.sampled_from(["none", "moderate", "high"]))),
        "calcification": col(st.sampled_from(["none", "spotty", "other"])),
        "n_spotty": col(maybe(st.integers(0, 200))),
        "pav_baseline": col(pct()),
        "pav_followup": col(maybe(pct())),
        "tav_baseline": col(st.floats(0, 5000, allow_nan=False)),
        "tav_followup": col(st.floats(0, 5000, allow_nan=False)),
    }


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@SETTINGS
@given(columns=tables())
def test_csv_load_keeps_rows_order_values_and_file(tmp_path_factory, frame_from, columns):
    path = tmp_path_factory.mktemp("p") / "t.csv"
    pd.DataFrame(columns).to_csv(path, index=False)
    before = digest(path)
    ds = load_dataset(path)
    assert digest(path) == before
    pd.testing.assert_frame_equal(ds.frame, frame_from(columns))
    assert ds.provenance.rows == len(columns["patient_id"])


@SETTINGS
@given(columns=tables())
def test_parquet_load_keeps_rows_order_values_and_file(tmp_path_factory, frame_from,
                                                      columns):
    path = tmp_path_factory.mktemp("p") / "t.parquet"
    pd.DataFrame(columns).to_parquet(path, index=False)
    before = digest(path)
    ds = load_dataset(path)
    assert digest(path) == before
    pd.testing.assert_frame_equal(ds.frame, frame_from(columns))


@SETTINGS
@given(columns=tables(), data=st.data())
def test_row_order_follows_the_file(tmp_path_factory, columns, data):
    n = len(columns["patient_id"])
    order = data.draw(st.permutations(range(n)))
    shuffled = {k: [v[i] for i in order] for k, v in columns.items()}
    path = tmp_path_factory.mktemp("p") / "t.csv"
    pd.DataFrame(shuffled).to_csv(path, index=False)
    f = load_dataset(path).frame
    assert f["patient_id"].tolist() == shuffled["patient_id"]
    assert f.index.tolist() == list(range(n))


@SETTINGS
@given(columns=tables())
def test_dataframe_input_is_not_mutated(frame_from, columns):
    raw = pd.DataFrame(columns)
    before = raw.copy(deep=True)
    ds = load_dataset(raw)
    pd.testing.assert_frame_equal(raw, before)
    pd.testing.assert_frame_equal(ds.frame, frame_from(columns))


@SETTINGS
@given(columns=tables())
def test_fingerprint_depends_only_on_content(tmp_path_factory, columns):
    d = tmp_path_factory.mktemp("p")
    pd.DataFrame(columns).to_csv(d / "a.csv", index=False)
    pd.DataFrame(columns).to_parquet(d / "b.parquet", index=False)
    assert (load_dataset(d / "a.csv").provenance.fingerprint
            == load_dataset(d / "b.parquet").provenance.fingerprint)
