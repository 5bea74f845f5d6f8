"""Fixtures of the account tests: an account file in a temporary folder."""

from __future__ import annotations

import pytest

from accounts.store import AccountStore


@pytest.fixture()
def store(tmp_path):
    """An empty account store (its file does not exist yet)."""
    return AccountStore(tmp_path / "accounts.json")


@pytest.fixture()
def study_book(tmp_path):
    """Login required, a study folder holding one study opened by anna; settings restored."""
    import time

    from analysis import settings as settings_mod
    from analysis.data import registry
    from analysis.data.studies import StudyRecord

    previous = settings_mod._current
    settings_mod.configure(settings_mod.Settings(
        auth="required", study_dir=str(tmp_path / "studies"),
        audit_log=str(tmp_path / "audit.log"), secret_key="unit-secret"))
    book = registry.study_store()[0]
    book.add(StudyRecord(fingerprint="a" * 64, owners=("anna",), shared=False,
                         patient_file="0" * 64, lesion_file=None, mapping=None, sheet=None,
                         name="anna.csv", opened_at=time.time()))
    yield book
    settings_mod._current = previous
