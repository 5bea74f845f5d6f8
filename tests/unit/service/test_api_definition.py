"""The definition in the cached entries: every entry follows the query's definition, the
flow and curve entries, and the message without a lesion file.

Group counts are checked against a plain pandas reading of the definition on the lesion
table (conftest ``spotty_by_pandas``), never against ``classify``.
"""

from __future__ import annotations

import pytest

from analysis.data import registry
from analysis.selection.definition import NEEDS_LESIONS
from analysis.service import api

QUERIES = [("spotty_arc=120", (120, 1, 4, "exclude")),
           ("spotty_arc=45&spotty_len=0.5-6", (45, 0.5, 6, "exclude")),
           ("spotty_other=allow", (90, 1, 4, "allow")),
           ("spotty_arc=180&spotty_len=0-20&spotty_other=allow", (180, 0, 20, "allow"))]


@pytest.mark.parametrize("query, definition", QUERIES)
def test_every_entry_follows_the_query_definition(fresh_cache, bundled_fp, spotty_by_pandas,
                                                  query, definition):
    ds = registry.get(bundled_fp)
    groups = spotty_by_pandas(ds.frame["patient_id"], ds.lesions, *definition)
    want = {g: int((groups == g).sum()) for g in ("none", "spotty")}
    sel = api.selection(bundled_fp, query).value
    assert sel.n_by_group == want
    # the attrition's group step counts the patients the definition puts in "other"
    step = sel.attrition.set_index("step").loc["groups"]
    assert int(step["n_excluded"]) == int((groups == "other").sum())
    ancova = api.ancova(bundled_fp, query, "delta_pav").value
    assert ancova.ls_means["n"].tolist() == [want["none"], want["spotty"]]
    assert api.table_one(bundled_fp, query).n_by_group == want
    prog = api.progression(bundled_fp, query).value
    assert prog is not None and api.progression(bundled_fp, query).n_by_group == want
    # the filters in words name the definition (footnotes, kit, provenance read them)
    assert any(line.startswith("Spotty calcification: a deposit") for line in sel.filters)
    # and the published counts differ: the definition really moved patients
    assert api.selection(bundled_fp, "").value.n_by_group != want


def test_other_filters_combine_with_the_definition(fresh_cache, bundled_fp, spotty_by_pandas):
    ds = registry.get(bundled_fp)
    f = ds.frame
    groups = spotty_by_pandas(f["patient_id"], ds.lesions, 120, 1, 4, "exclude")
    men = (f["sex"] == "male").to_numpy()
    sel = api.selection(bundled_fp, "sex=male&spotty_arc=120").value
    assert sel.n_by_group == {g: int(((groups == g) & men).sum()) for g in ("none", "spotty")}


def test_flow_entry_counts_moves_against_the_file_groups(fresh_cache, bundled_fp,
                                                         spotty_by_pandas):
    ds = registry.get(bundled_fp)
    f = ds.frame
    res = api.definition_flow(bundled_fp, "age=50-70&spotty_arc=120")
    assert res.ok, res.error
    aged = f["age"].between(50, 70)
    after = spotty_by_pandas(f["patient_id"], ds.lesions, 120, 1, 4, "exclude")[aged]
    before = f.loc[aged, "calcification"].astype(str)
    table = res.value.table
    assert int(table.to_numpy().sum()) == int(aged.sum())  # every group, not only compared
    assert table.loc["other", "spotty"] == int(((before == "other") & (after == "spotty")).sum())
    assert res.value.n_moved == int((before != after).sum()) > 0
    assert res.selection.query == "age=50-70&spotty_arc=120"


def test_curve_at_the_published_definition_is_the_ancova_difference(fresh_cache, bundled_fp):
    for query in ("", "age=50-70&sex=male"):
        curve = api.definition_curve(bundled_fp, query)
        assert curve.ok, curve.error
        published = curve.value.curve[curve.value.curve["published"]]
        assert len(published) == 2  # on the arc curve and on the length curve
        con = api.ancova(bundled_fp, query, "delta_pav").value.contrast.iloc[0]
        for col in ("estimate", "se", "ci_low", "ci_high", "p"):
            assert published[col].tolist() == pytest.approx([con[col]] * 2, rel=1e-10), col


def test_curve_point_of_a_chosen_definition_is_its_ancova(fresh_cache, bundled_fp):
    query = "spotty_arc=120&spotty_len=1-6"
    curve = api.definition_curve(bundled_fp, query, covariates=("pav_baseline", "trial"),
                                 weights="equal")
    chosen = curve.value.curve[curve.value.curve["chosen"]]
    con = api.ancova(bundled_fp, query, "delta_pav", covariates=("pav_baseline", "trial"),
                     weights="equal").value.contrast.iloc[0]
    assert chosen["estimate"].tolist() == pytest.approx([con["estimate"]] * 2, rel=1e-10)
    assert curve.value.covariates == ("pav_baseline", "trial")
    # raw means fit no covariates
    raw = api.definition_curve(bundled_fp, query, means="raw").value
    assert raw.covariates == ()


def test_without_lesion_file_the_message_says_how_to_load_one(fresh_cache, no_lesions_fp):
    res = api.ancova(no_lesions_fp, "spotty_arc=120")
    assert res.selection is None and res.error == NEEDS_LESIONS
    assert api.selection(no_lesions_fp, "spotty_len=1-6").error == NEEDS_LESIONS
    # the published definition keeps working with the file's own groups
    assert api.ancova(no_lesions_fp, "").ok
    flow = api.definition_flow(no_lesions_fp, "")
    assert flow.value is None and "needs a lesion file" in flow.error
    assert "--lesions" in api.definition_curve(no_lesions_fp, "").error


def test_bad_options_are_errors_not_exceptions(fresh_cache, bundled_fp):
    assert "arcs must be" in api.definition_curve(bundled_fp, "", arcs="90").error
    assert "outside 1-360" in api.definition_curve(bundled_fp, "", arcs=(0.5,)).error
    assert "spotty_arc" in api.definition_flow(bundled_fp, "spotty_arc=abc").error
    assert api.definition_curve(bundled_fp, "", outcome="age").error
