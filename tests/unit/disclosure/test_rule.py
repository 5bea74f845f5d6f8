"""The rule: rounding, what counts as small, its caption, and the settings."""

from __future__ import annotations

import pytest

from analysis import settings
from analysis.disclosure.rule import DisclosureRule
from analysis.errors import ExplorerError


@pytest.mark.parametrize(("count", "rounded"), [
    # nearest multiple of 5, halves up (by hand): 12 -> 10, 12.5 would go up, 13 -> 15
    (0, 0), (2, 0), (3, 5), (7, 5), (8, 10), (12, 10), (13, 15), (1347, 1345), (1348, 1350),
])
def test_rounding_to_base_five(count, rounded):
    assert DisclosureRule(k=7, base=5).round(count) == rounded


def test_rounding_to_an_even_base_goes_half_up():
    # base 4: 6 is halfway between 4 and 8 -> 8; 5 -> 4 (by hand)
    rule = DisclosureRule(k=0, base=4)
    assert [rule.round(n) for n in (5, 6, 9, 10)] == [4, 8, 8, 12]


def test_base_one_leaves_counts_and_zero_is_never_small():
    rule = DisclosureRule(k=7, base=1)
    assert [rule.round(n) for n in (0, 1, 8, 1347)] == [0, 1, 8, 1347]
    assert not rule.is_small(0)
    assert rule.is_small(1) and rule.is_small(7) and not rule.is_small(8)
    assert rule.withholds("≤7") and rule.withholds(7) and not rule.withholds(8)


def test_off_rule_is_inactive_and_has_no_caption():
    assert not DisclosureRule().active
    assert DisclosureRule().caption() == ""
    assert DisclosureRule(k=0, base=5).active  # rounding alone is on


def test_caption_names_k_and_base():
    text = DisclosureRule(k=7, base=5).caption()
    assert text.startswith("Counts ≤ 7 suppressed, rounded to base 5")


def test_settings_read_and_default():
    assert settings.from_env({}).suppress_k == 0
    assert settings.from_env({}).round_base == 1
    s = settings.from_env({"EXPLORER_SUPPRESS_K": "7", "EXPLORER_ROUND_BASE": "5"})
    assert (s.suppress_k, s.round_base) == (7, 5)


@pytest.mark.parametrize(("name", "value"), [
    ("EXPLORER_SUPPRESS_K", "-1"), ("EXPLORER_SUPPRESS_K", "seven"),
    ("EXPLORER_SUPPRESS_K", "2.5"), ("EXPLORER_ROUND_BASE", "0"),
    ("EXPLORER_ROUND_BASE", "five"),
])
def test_bad_settings_are_a_clear_error(name, value):
    with pytest.raises(ExplorerError, match=name) as err:
        settings.from_env({name: value})
    assert "whole number" in str(err.value)
