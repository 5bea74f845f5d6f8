"""Finished page outputs in the shared cache: what the key holds, what a hit returns."""

from __future__ import annotations

import plotly.graph_objects as go

from shell import page_cache


def test_the_key_follows_what_can_change_a_page(use_settings):
    base = page_cache.page_key("overview", "f" * 64, "viewer", ("age=40-60", False))
    assert base == page_cache.page_key("overview", "f" * 64, "viewer", ("age=40-60", False))
    others = {
        page_cache.page_key("baseline", "f" * 64, "viewer", ("age=40-60", False)),
        page_cache.page_key("overview", "e" * 64, "viewer", ("age=40-60", False)),
        page_cache.page_key("overview", "f" * 64, "analyst", ("age=40-60", False)),
        page_cache.page_key("overview", "f" * 64, "viewer", ("age=40-61", False)),
        page_cache.page_key("overview", "f" * 64, "viewer", ("age=40-60", True)),
    }
    assert base not in others and len(others) == 5
    use_settings(min_group_n=25)  # changes what a model page shows
    assert page_cache.page_key("overview", "f" * 64, "viewer", ("age=40-60", False)) != base
    use_settings(port=9999, rate_per_min=5)  # where and how it is served: no change
    assert page_cache.page_key("overview", "f" * 64, "viewer", ("age=40-60", False)) == base


def test_a_kept_output_is_what_dash_sends(use_settings):
    fig = go.Figure(go.Bar(x=["none", "spotty"], y=[0.02, 0.43]))
    kept = page_cache.decode(page_cache.encode((fig, "n = 12", None)), multi=True)
    assert isinstance(kept, tuple) and kept[1:] == ("n = 12", None)
    again = go.Figure(kept[0])
    assert list(again.data[0].x) == ["none", "spotty"]
    assert list(again.data[0].y) == [0.02, 0.43]


def test_a_page_is_computed_once_per_view_in_a_request(request_as):
    calls = []

    @page_cache.cached_page("test-page")
    def build(store, present):
        calls.append((store, present))
        return go.Figure(go.Scatter(y=[len(calls)])), f"{store} {present}"

    build("age=40-60", False)  # outside a request: never cached
    build("age=40-60", False)
    assert len(calls) == 2
    request_as("ana", "analyst")
    first = build("age=40-60", False)
    second = build("age=40-60", False)
    assert len(calls) == 3  # the second came from the cache
    assert list(second[0]["data"][0]["y"]) == list(first[0].data[0].y) and second[1] == first[1]
    build("age=40-70", False)
    assert len(calls) == 4
    request_as("ben", "viewer")  # another role: its own entry
    build("age=40-60", False)
    assert len(calls) == 5


def test_a_list_argument_never_shares_a_key_with_its_json_text(use_settings):
    # a crafted request sending the text '["age", "diabetes"]' where the page sends the
    # list must not be able to plant its output under the list's key
    as_list = page_cache.page_key("comparison", "f" * 64, "viewer", ("q", ["age", "diabetes"]))
    as_text = page_cache.page_key("comparison", "f" * 64, "viewer", ("q", '["age", "diabetes"]'))
    assert as_list != as_text


def test_an_error_that_may_pass_is_not_kept(request_as):
    # a study whose files failed to load (DataLoadError) or an unexpected failure: the
    # next request must try again, not get the kept error for ever
    from analysis.errors import AnalysisError, DataLoadError
    from components.page_context import error_alert

    calls = []
    failure = {"err": DataLoadError("the patient file is not readable right now")}

    @page_cache.cached_page("test-error-page")
    def build(store):
        calls.append(store)
        return (error_alert(failure["err"]),)

    request_as("ana", "analyst")
    build("age=40-60")
    build("age=40-60")
    assert len(calls) == 2  # not kept
    failure["err"] = AnalysisError("The 'none' group has 3 patients")  # follows the data
    build("age=40-60")
    build("age=40-60")
    assert len(calls) == 3  # kept: the same view gives the same message
