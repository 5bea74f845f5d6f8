"""The view's scripts run as their users would run them: with no arguments, from the
folder that holds the view's data.csv. Their numbers are compared with the app's
(the API's results) to 6 significant digits.

The scripts are independent computations: the Python one fits with statsmodels'
formula API and builds the LS means from patsy's design rows; the R one uses lm and
emmeans (the reference the app is checked against in tests/reference/), and sandwich
for the HC3 and propensity-weighted estimates of the Sensitivity section (default
view). The app fits with its own NumPy QR code (analysis.stats.linear).
"""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from reports.data_files import data_files
from reports.script_py import python_script
from reports.script_r import r_script
from reports.view import ViewError


def _run(view, tmp_path, name, script, command, parse):
    (tmp_path / "data.csv").write_bytes(data_files(view)["data.csv"])
    (tmp_path / name).write_text(script, encoding="utf-8")
    done = subprocess.run([*command, name], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return parse(done.stdout)


def _compare(got: dict[str, float], want: dict[str, float]) -> None:
    assert set(got) == set(want)
    bad = {k: (got[k], v) for k, v in want.items()
           if not math.isclose(got[k], v, rel_tol=1e-6, abs_tol=1e-300)}
    assert bad == {}


@pytest.mark.parametrize("which", ["default_view", "filtered_view"])
def test_python_script_reproduces_every_number(which, request, tmp_path, parse):
    view = request.getfixturevalue(which)
    got = _run(view, tmp_path, "view.py", python_script(view), [sys.executable], parse)
    _compare(got, view.numbers)
    assert len(got) >= 37                # counts, LS means, contrast, Table 1 p-values
    if view.sensitivity:                 # the comparison's kit: HC3 and PS weighting too
        assert {"sensitivity HC3 SE", "sensitivity PS-weighted estimate",
                "sensitivity PS effective sample size"} <= set(got)


@pytest.mark.parametrize("which", ["default_view", "filtered_view"])
def test_r_script_reproduces_every_number(which, request, tmp_path, parse, rscript):
    view = request.getfixturevalue(which)
    got = _run(view, tmp_path, "view.R", r_script(view), [rscript], parse)
    _compare(got, view.numbers)


def test_scripts_follow_equal_weights_and_raw_means(fingerprint, tmp_path, parse):
    from reports.view import build_view

    equal = build_view("/therapy?weights=equal&age=50-", fingerprint)
    got = _run(equal, tmp_path, "view.py", python_script(equal), [sys.executable], parse)
    _compare(got, equal.numbers)
    raw = build_view("/comparison?means=raw&sex=male", fingerprint)
    assert raw.model.covariates == ()
    got = _run(raw, tmp_path, "view.py", python_script(raw), [sys.executable], parse)
    _compare(got, raw.numbers)


def test_script_names_come_from_the_dictionary_only(default_view):
    import dataclasses

    bad = dataclasses.replace(default_view, model=dataclasses.replace(
        default_view.model, covariates=("age') + __import__('os').system('x",)))
    with pytest.raises(ViewError, match="not a variable of the data dictionary"):
        python_script(bad)
    with pytest.raises(ViewError, match="not a variable of the data dictionary"):
        r_script(bad)


def test_scripts_reproduce_the_section_on_any_view_and_without_covariates(fingerprint,
                                                                        tmp_path, parse):
    from reports.view import build_view

    therapy = build_view("/therapy?sex=female&ldl_cut=90", fingerprint, sensitivity=True)
    got = _run(therapy, tmp_path, "view.py", python_script(therapy), [sys.executable], parse)
    _compare(got, therapy.numbers)
    assert "sensitivity PS-weighted SE" in got
    # raw means: no covariates, so no propensity model; HC3 of the group alone remains
    raw = build_view("/comparison?means=raw", fingerprint)
    assert "sensitivity HC3 SE" in raw.numbers
    assert "sensitivity PS-weighted SE" not in raw.numbers
    got = _run(raw, tmp_path, "view.py", python_script(raw), [sys.executable], parse)
    _compare(got, raw.numbers)
