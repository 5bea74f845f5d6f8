"""Studies opened from the browser: records, who may see them, loading in another worker."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import settings
from analysis.data import registry
from analysis.data.loader import load_dataset
from analysis.data.studies import StudyBook, StudyRecord, new_record
from analysis.errors import DataLoadError
from analysis.settings import BUNDLED_COHORT


@pytest.fixture
def study_settings(tmp_path):
    """Settings with the study folder in tmp_path; registry and settings restored."""
    old = settings.current()
    settings.configure(settings.Settings(study_dir=str(tmp_path / "studies"),
                                         cache_type="SimpleCache"))
    registry.reset()
    yield tmp_path
    registry.reset()
    settings.configure(old)


def _record(fp: str, owner: str, *, shared: bool = False) -> StudyRecord:
    return StudyRecord(fingerprint=fp, owners=(owner,), shared=shared, patient_file="a" * 64,
                       lesion_file=None, mapping={"columns": {"age": "AGE"}}, sheet=None,
                       name="trial.sav", opened_at=1.0)


def test_records_round_trip_and_owners_accumulate(tmp_path):
    book = StudyBook(tmp_path)
    fp = "f" * 64
    book.add(_record(fp, "ann"))
    assert book.get(fp) == _record(fp, "ann")
    book.add(_record(fp, "bob"))  # the same data opened by a second user
    assert book.get(fp).owners == ("ann", "bob")
    assert [r.fingerprint for r in book.visible_to("bob")] == [fp]
    assert book.visible_to("cyd") == [] and book.visible_to(None) == []
    book.share(fp)
    assert [r.fingerprint for r in book.visible_to("cyd")] == [fp]


def test_malformed_fingerprints_are_never_paths(tmp_path):
    book = StudyBook(tmp_path)
    assert book.get("../../etc/passwd") is None
    assert not list(tmp_path.iterdir())


def test_a_worker_without_the_study_loads_it_from_its_record(study_settings):
    book, files = registry.study_store()
    with BUNDLED_COHORT.open("rb") as fh:
        stored = files.save(fh, "cohort.csv")
    ds = load_dataset(stored.path)
    fp = registry.open_study(ds, new_record(ds, owner="ann", patient_file=stored.digest,
                                             lesion_file=None, mapping=None, sheet=None,
                                             name="cohort.csv"))
    registry.reset()  # another worker process: nothing loaded
    again = registry.ensure(fp)
    # the same rows and values as the first load (reference: the frame loaded before)
    pd.testing.assert_frame_equal(again.frame, ds.frame)
    assert again.provenance.fingerprint == fp


def test_only_owners_see_a_private_study_and_everyone_the_active_one(study_settings):
    book, files = registry.study_store()
    fp = "e" * 64
    book.add(_record(fp, "ann"))
    assert registry.visible_to(fp, "ann") and not registry.visible_to(fp, "bob")
    active = registry.active().provenance.fingerprint  # the bundled cohort
    assert registry.visible_to(active, "bob") and registry.visible_to(active, None)


def test_a_study_whose_files_are_gone_says_so(study_settings):
    book, _files = registry.study_store()
    book.add(_record("d" * 64, "ann"))
    with pytest.raises(DataLoadError, match="no longer stored"):
        registry.ensure("d" * 64)
