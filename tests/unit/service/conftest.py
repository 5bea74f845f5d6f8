"""Fixtures of the cached-entry tests: datasets registered in this process, a fresh cache,
settings with few imputations, a temporary study folder."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from analysis import settings as settings_mod
from analysis.data import registry
from analysis.data.loader import load_bundled
from analysis.service import cache
from analysis.settings import Settings


@pytest.fixture
def fresh_cache():
    """An empty SimpleCache (and no kept frames or queries) for one test; backend restored."""
    previous = cache._backend
    cache.configure(Settings(cache_type="SimpleCache"))
    cache.clear()
    yield
    cache._backend = previous
    cache.clear()


@pytest.fixture
def few_imputations():
    """Settings with 5 imputations (instead of 20: the tests stay quick); restored after."""
    previous = settings_mod.current()
    settings_mod.configure(dataclasses.replace(previous, mi_imputations=5))
    yield settings_mod.current()
    settings_mod.configure(previous)


@pytest.fixture(scope="module")
def bundled_fp() -> str:
    """Fingerprint of the bundled simulated cohort, registered in this process."""
    return registry.register(load_bundled())


@pytest.fixture(scope="module")
def missing_hdl_fp(bundled_fp) -> str:
    """The bundled cohort with HDL-C missing for every 9th patient (so multiple
    imputation imputes something: the bundled covariates are complete)."""
    ds = registry.get(bundled_fp)
    frame = ds.frame.copy()
    frame.loc[frame.index[::9], "hdl_c"] = np.nan
    return registry.register(dataclasses.replace(
        ds, frame=frame,
        provenance=dataclasses.replace(ds.provenance, fingerprint="test-missing-hdl-"
                                       + bundled_fp[:8])))


@pytest.fixture(scope="module")
def no_lesions_fp(bundled_fp) -> str:
    """The bundled patients registered without their lesion file."""
    ds = registry.get(bundled_fp)
    return registry.register(dataclasses.replace(
        ds, lesions=None,
        provenance=dataclasses.replace(ds.provenance, fingerprint="test-no-lesions-"
                                       + bundled_fp[:8])))


@pytest.fixture
def suppress_seven():
    """EXPLORER_SUPPRESS_K=7 and EXPLORER_ROUND_BASE=5 for one test; restored after."""
    previous = settings_mod.current()
    settings_mod.configure(dataclasses.replace(previous, suppress_k=7, round_base=5))
    yield settings_mod.current()
    settings_mod.configure(previous)
@pytest.fixture
def study_folder(tmp_path, fresh_cache):
    """Settings whose study folder is a temporary one (uploads stored there); restored
    after, with the process-local memos emptied."""
    previous = settings_mod.current()
    settings_mod.configure(dataclasses.replace(previous, study_dir=str(tmp_path / "studies")))
    yield tmp_path / "studies"
    settings_mod.configure(previous)
    cache.clear()
