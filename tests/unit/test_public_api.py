"""The documented public API (README, "Use from Python") resolves and works."""

import pytest

import analysis


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
    res = analysis.api.comparison(fp, "age=50-70&sex=male", "delta_pav")
    assert res.ok, res.messages()
    ls = res["ancova"].ls_means
    # every patient in the selection is a man aged 50-70 (checked on the raw frame)
    sel = ds.frame[(ds.frame["age"].between(50, 70)) & (ds.frame["sex"] == "male")]
    assert res.n == len(sel)
    assert set(ls["level"]) == {"none", "spotty"}
