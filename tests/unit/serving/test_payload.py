"""Callback bodies checked against the declared callbacks (serving.payload)."""

from __future__ import annotations

import pytest

from serving.payload import PayloadError, output_slots, validate

GOOD_SINGLE = {"output": "grid.rows", "outputs": {"id": "grid", "property": "rows"},
               "inputs": [{"id": "grid", "property": "request", "value": {"startRow": 0}}],
               "state": [{"id": "store", "property": "data", "value": None}],
               "changedPropIds": ["grid.request"]}
RNG = {"type": "rng", "name": "age"}
GOOD_MULTI = {"output": '..count.children...{"name":["ALL"],"type":"rng"}.value..',
              "outputs": [{"id": "count", "property": "children"},
                          [{"id": RNG, "property": "value"}]],
              "inputs": [{"id": "store", "property": "data", "value": {}},
                         [{"id": RNG, "property": "value", "value": [1, 2]}]],
              "state": []}


def test_well_formed_bodies_pass_and_name_their_outputs(specs):
    assert [s.key for s in validate(GOOD_SINGLE, specs)] == ["grid.rows"]
    keys = [s.key for s in validate(GOOD_MULTI, specs)]
    assert keys == ["count.children", '{"name":["ALL"],"type":"rng"}.value']


def test_duplicate_output_with_or_without_its_hash(specs):
    body = {"output": "url.search@abc", "outputs": {"id": "url", "property": "search@abc"},
            "inputs": [{"id": "opt", "property": "value", "value": 1}]}
    assert [s.key for s in validate(body, specs)] == ["url.search"]
    body["outputs"] = {"id": "url", "property": "search"}
    validate(body, specs)


def test_output_slots_parse_multi_and_dict_ids():
    slots = output_slots('..a.b...{"k":["MATCH"],"type":"t"}.value..')
    assert [(s.ident, s.prop, s.wildcard) for s in slots] == [
        ("a", "b", None), ({"k": ["MATCH"], "type": "t"}, "value", "MATCH")]


def _broken(body, **changes):
    b = dict(body)
    for k, v in changes.items():
        if v is KeyError:
            b.pop(k)
        else:
            b[k] = v
    return b


@pytest.mark.parametrize(("body", "message"), [
    (None, "JSON object"),
    ([], "JSON object"),
    (_broken(GOOD_SINGLE, output="nope.children"), "unknown callback"),
    (_broken(GOOD_SINGLE, output=5), "unknown callback"),
    (_broken(GOOD_SINGLE, output="title.x"), "unknown callback"),  # clientside only
    (_broken(GOOD_SINGLE, inputs=KeyError), "inputs do not match"),
    (_broken(GOOD_SINGLE, inputs=[]), "inputs do not match"),
    (_broken(GOOD_SINGLE, inputs=[{"id": "other", "property": "request"}]), "unknown component"),
    (_broken(GOOD_SINGLE, inputs=[{"id": "grid", "property": "nope"}]), "does not match"),
    (_broken(GOOD_SINGLE, outputs={"id": "grid", "property": "other"}), "does not match"),
    (_broken(GOOD_SINGLE, outputs=None), "does not match"),
    (_broken(GOOD_SINGLE, state=[1]), "does not match"),
    (_broken(GOOD_SINGLE, changedPropIds="grid.request"), "changedPropIds"),
    (_broken(GOOD_MULTI, outputs=[{"id": "count", "property": "children"}]), "outputs do not"),
    (_broken(GOOD_MULTI, inputs=[{"id": "store", "property": "data"},
                                 [{"id": {"type": "other", "name": "age"},
                                   "property": "value"}]]), "unknown component"),
    (_broken(GOOD_MULTI, inputs=[{"id": "store", "property": "data"},
                                 {"id": RNG, "property": "value"}]), "must be a list"),
    (_broken(GOOD_MULTI, inputs=[{"id": "store", "property": "data"},
                                 [{"id": {"type": "rng", "name": ["x"]},
                                   "property": "value"}]]), "unknown component"),
])
def test_malformed_bodies_are_refused_with_a_reason(specs, body, message):
    with pytest.raises(PayloadError, match=message):
        validate(body, specs)


def test_the_message_never_echoes_the_body(specs):
    body = _broken(GOOD_SINGLE, output="<script>alert(1)</script>")
    with pytest.raises(PayloadError) as err:
        validate(body, specs)
    assert "script" not in str(err.value)
