"""Fixtures of the meeting-kit tests: the bundled cohort registered once, the two views
of the issue (the default comparison and a filtered therapy view with moved cut-points),
Rscript with emmeans and sandwich (or a skip) and a parser of the scripts' output. The kaleido
server fixture is in tests/unit/conftest.py."""

from __future__ import annotations

import shutil
import subprocess

import pytest

import analysis
from analysis.data import registry

#: The default view and a filtered one with moved cut-points.
DEFAULT_LINK = "/comparison"
FILTERED_LINK = "/therapy?ldl_cut=80&sbp_cut=130&age=45-75"


@pytest.fixture(scope="session")
def fingerprint() -> str:
    return registry.register(analysis.load_bundled())


@pytest.fixture(scope="session")
def default_view(fingerprint):
    from reports.view import build_view

    return build_view(DEFAULT_LINK, fingerprint)


@pytest.fixture(scope="session")
def filtered_view(fingerprint):
    from reports.view import build_view

    return build_view(FILTERED_LINK, fingerprint)


def _has_r_packages() -> bool:
    if shutil.which("Rscript") is None:
        return False
    run = subprocess.run(["Rscript", "-e", "library(emmeans); library(sandwich)"],
                         capture_output=True)
    return run.returncode == 0


@pytest.fixture(scope="session")
def rscript():
    """Path of Rscript with emmeans and sandwich (the Sensitivity section), or skip
    (``make test`` installs them)."""
    if not _has_r_packages():
        pytest.skip("Rscript with the emmeans and sandwich packages is not installed")
    return shutil.which("Rscript")


def parse_numbers(stdout: str) -> dict[str, float]:
    """``label: value`` lines of a script's output."""
    out = {}
    for line in stdout.splitlines():
        if ": " in line:
            label, value = line.rsplit(": ", 1)
            out[label] = float(value)
    return out


@pytest.fixture(scope="session")
def parse():
    return parse_numbers
