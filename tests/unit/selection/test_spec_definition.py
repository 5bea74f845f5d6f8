"""The spotty-calcification definition inside the filter spec: query keys, their canonical
place and text, JSON, describe(), errors."""

from __future__ import annotations

import json

import pytest

from analysis.errors import FilterSpecError
from analysis.selection import FilterSpec
from analysis.selection.definition import NEEDS_LESIONS, SpottyDefinition, regroup


def test_the_published_definition_leaves_every_link_as_it_was():
    # the three keys at their published values (90°, 1-4 mm, exclude) are not written
    spec = FilterSpec.from_query("age=50-70&spotty_arc=90&spotty_len=1.0-4&spotty_other=exclude")
    assert spec.to_query() == "age=50-70"
    assert spec == FilterSpec.from_query("age=50-70")
    assert spec.definition.is_published and FilterSpec().definition == SpottyDefinition()


def test_keys_take_their_canonical_place_and_text():
    # respelled (order, 120.0, upper case): one canonical query; the keys sit after groups
    # and before missing, in the order arc, length, other rule
    a = FilterSpec.from_query("missing=keep&spotty_other=ALLOW&sex=male&spotty_len=0.50-6"
                              "&spotty_arc=120.0&groups=none,spotty,other&age=50-")
    assert a.to_query() == ("age=50-&sex=male&groups=none,spotty,other&spotty_arc=120"
                            "&spotty_len=0.5-6&spotty_other=allow&missing=keep")
    assert a.definition == SpottyDefinition(max_arc=120, min_length=0.5, max_length=6,
                                            other="allow")
    assert FilterSpec.from_query(a.to_query()) == a and hash(FilterSpec.from_query(
        a.to_query())) == hash(a)
    # only what differs from the published definition is written
    assert FilterSpec.from_query("spotty_len=1-6").to_query() == "spotty_len=1-6"
    assert FilterSpec.from_query("spotty_arc=45.25").to_query() == "spotty_arc=45.25"


def test_json_round_trip_and_constructor_spellings():
    spec = FilterSpec.from_query("spotty_arc=60&spotty_other=allow")
    data = json.loads(json.dumps(spec.to_dict()))
    assert data["definition"] == {"spotty_arc": "60", "spotty_other": "allow"}
    assert FilterSpec.from_dict(data) == spec
    assert FilterSpec(definition={"spotty_arc": 60, "spotty_other": "allow"}) == spec
    assert FilterSpec.from_dict({"definition": None}) == FilterSpec()


def test_describe_names_a_definition_other_than_the_published_one():
    lines = FilterSpec.from_query("sex=male&spotty_arc=120&spotty_len=1-6").describe()
    assert lines[0] == "Sex: male"
    assert lines[1] == ("Spotty calcification: a deposit 1-6 mm long with an arc < 120° "
                        "and no other calcium")
    assert not any("Spotty" in line for line in FilterSpec.from_query("sex=male").describe())
    assert FilterSpec.from_query("spotty_other=allow").describe() == [
        "Spotty calcification: a deposit 1-4 mm long with an arc < 90° "
        "(other calcium allowed beside it)"]
    assert not FilterSpec.from_query("spotty_arc=100").is_empty


@pytest.mark.parametrize("query, words", [
    ("spotty_arc=wide", ["spotty_arc", "'wide'", "not a number"]),
    ("spotty_arc=0", ["spotty_arc", "from 1 to 360"]),
    ("spotty_arc=inf", ["spotty_arc", "finite"]),
    ("spotty_len=4", ["spotty_len", "LO-HI", "'4'"]),
    ("spotty_len=5-2", ["spotty_len", "LO <= HI", "5-2"]),
    ("spotty_len=-1-4", ["spotty_len", "LO-HI"]),
    ("spotty_len=1-80", ["spotty_len", "50"]),
    ("spotty_other=maybe", ["spotty_other", "exclude, allow", "'maybe'"]),
    ("spotty_arc=90&spotty_arc=80", ["spotty_arc", "twice"]),
    ("spotty_arcs=90", ["unknown filter 'spotty_arcs'", "spotty_arc, spotty_len"]),
])
def test_bad_definition_values_say_what_to_fix(query, words):
    with pytest.raises(FilterSpecError) as info:
        FilterSpec.from_query(query)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_bad_definition_objects_are_refused():
    with pytest.raises(FilterSpecError, match="SpottyDefinition or a mapping"):
        FilterSpec(definition=120)  # type: ignore[arg-type]
    with pytest.raises(FilterSpecError, match="unknown definition key 'arc'"):
        FilterSpec(definition={"arc": 120})
    with pytest.raises(FilterSpecError, match="not a number"):
        SpottyDefinition(max_arc=True)  # type: ignore[arg-type]


def test_a_new_definition_without_lesions_says_how_to_load_them():
    with pytest.raises(FilterSpecError) as info:
        regroup(object(), None, SpottyDefinition(max_arc=120))  # type: ignore[arg-type]
    assert str(info.value) == NEEDS_LESIONS
    assert "can only be changed when a lesion file is loaded" in NEEDS_LESIONS
    assert "Open a study" in NEEDS_LESIONS and "--lesions" in NEEDS_LESIONS
