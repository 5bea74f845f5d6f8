"""Fixtures for the data-loading tests: small patient files written in each test.

``patient_lines(n)`` gives the header and ``n`` valid data lines (a free-text ``note``
column included, not in the dictionary); ``write_lines`` writes lines to a file;
``limits_set`` sets resource limits for one test and restores the settings after.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from analysis import settings

PATIENT_HEADER = ("patient_id,trial,age,sex,diabetes,calcification,pav_baseline,pav_followup,"
                  "tav_baseline,tav_followup,note")


def _line(i: int) -> str:
    group = "spotty" if i % 3 else "none"
    sex = "male" if i % 2 else "female"
    return (f"P{i:04d},T{i % 3},{40 + i % 40},{sex},{'yes' if i % 4 == 0 else 'no'},{group},"
            f"{30 + i % 20}.5,{31 + i % 20}.25,{100 + i % 300},{101 + i % 300},ok {i}")


@pytest.fixture
def patient_lines() -> Callable[[int], list[str]]:
    """``make(n)``: the header line and ``n`` valid data lines (patient P0001 ... Pn)."""
    def make(n: int) -> list[str]:
        return [PATIENT_HEADER] + [_line(i) for i in range(1, n + 1)]
    return make


@pytest.fixture
def write_lines(tmp_path) -> Callable[..., Path]:
    """``write(lines, name="d.csv", encoding="utf-8")``: the lines joined by newlines."""
    def write(lines: list[str], name: str = "d.csv", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
        return path
    return write


@pytest.fixture
def limits_set():
    """``set_limits(**limits)``: change resource settings for this test only."""
    before = settings.current()

    def set_limits(**changes) -> None:
        settings.configure(before.with_overrides(**changes))

    yield set_limits
    settings.configure(before)
