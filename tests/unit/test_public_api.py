"""The documented public API (README, "Use from Python") resolves and works."""

import importlib
import subprocess
import sys

import pytest

import analysis
from analysis.settings import ROOT


@pytest.mark.parametrize("name", analysis.__all__)
def test_every_documented_name_resolves(name):
    assert getattr(analysis, name) is not None


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_thing"):
        analysis.no_such_thing  # noqa: B018


def test_readme_example_runs_end_to_end():
    # the README example: bundled cohort -> filter -> adjusted comparison
    ds = analysis.load_bundled()
    assert ds.provenance.simulated
    fp = analysis.registry.register(ds)
    res = analysis.api.ancova(fp, "age=50-70&sex=male", "delta_pav")
    assert res.ok, res.error
    ls = res.value.ls_means
    # every patient in the selection is a man aged 50-70 in the compared groups
    # (independent: a plain pandas mask on the loaded frame)
    f = ds.frame
    sel = f[f["calcification"].isin(["none", "spotty"]) & f["age"].between(50, 70)
            & (f["sex"] == "male")]
    assert res.selection.n == len(sel)
    assert ls["level"].tolist() == ["none", "spotty"]
    assert ls["n"].tolist() == [int((sel["calcification"] == g).sum()) for g in ("none", "spotty")]
    # the API answer is the documented ancova() on exactly those rows
    direct = analysis.ancova(sel, "delta_pav")
    assert ls["ls_mean"].tolist() == pytest.approx(direct.ls_means["ls_mean"].tolist(), abs=1e-12)


README_STATISTICS = """
import analysis
ds = analysis.load_bundled()
frame = ds.frame
first = analysis.table_one(frame).formatted# README line
again = analysis.table_one(frame).formatted# the same cell run a second time
fp = analysis.registry.register(ds)                    # README line
print(first.equals(again))
print(analysis.dose_response(frame, "delta_pav").p_trend < 1)
"""


def test_readme_statistics_functions_are_callable_after_loading():
    # a fresh interpreter running the README's "Use from Python" lines in their order
    result = subprocess.run([sys.executable, "-c", README_STATISTICS], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["True", "True"]


@pytest.mark.parametrize("name", ["table_one", "dose_response"])
def test_exported_function_is_not_shadowed_by_its_submodule(name):
    importlib.import_module(f"analysis.stats.{name}" if name == "table_one" else f"analysis.stats.linear.{name}")  # what any caller of the package may do
    assert callable(getattr(analysis, name)), type(getattr(analysis, name))
