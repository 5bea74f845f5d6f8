"""Fixtures of the statistics tests that need the bundled study with its lesion file."""

from __future__ import annotations

import pytest

from analysis.data.loader import Dataset, load_bundled


@pytest.fixture(scope="session")
def bundled_study() -> Dataset:
    """The bundled simulated study as the loader gives it (patients and lesions)."""
    ds = load_bundled()
    assert ds.lesions is not None, "the bundled study has lost its lesion file"
    return ds

