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
    # every patient in the selection is a man aged 50-70 in the compared groups
    # (independent: a plain pandas mask on the loaded frame)
    f = ds.frame
    sel = f[f["calcification"].isin(["none", "spotty"]) & f["age"].between(50, 70)
            & (f["sex"] == "male")]
    assert res.n == len(sel)
    assert ls["level"].tolist() == ["none", "spotty"]
    assert ls["n"].tolist() == [int((sel["calcification"] == g).sum()) for g in ("none", "spotty")]
    # the API answer is the documented ancova() on exactly those rows
    direct = analysis.ancova(sel, "delta_pav")
    assert ls["ls_mean"].tolist() == pytest.approx(direct.ls_means["ls_mean"].tolist(), abs=1e-12)
