"""Disclosure control in the service layer: every entry's result, messages, the memo."""

from __future__ import annotations

from analysis.disclosure.rule import DisclosureRule
from analysis.service import api, disclosed
from analysis.service.disclosed import disclose, redact_message
from analysis.service.results import Computed

RULE = DisclosureRule(k=7, base=5)


def test_counts_in_messages():
    text = "The 'none' group has 5 patients; at least 10 are needed; n = 1,347."
    assert redact_message(text, RULE) == ("The 'none' group has ≤7 patients; at least 10 "
                                          "are needed; n = 1,345.")


def test_an_entry_without_a_rule_is_refused(bundled_fp):
    sel = api.selection(bundled_fp, "").selection
    out = disclose(Computed("something_new", sel, value=42), RULE)
    assert out.value is None and "withheld" in out.error


def test_entries_answer_redacted_and_kept(bundled_fp, fresh_cache, suppress_seven, monkeypatch):
    # patients aged 78-90: 4 without calcium (tests/integration/test_disclosure.py)
    res = api.selection(bundled_fp, "age=78-90")
    assert res.value.n_by_group["none"] == "≤7"
    calls = []
    real = disclosed.disclose
    monkeypatch.setattr(disclosed, "disclose", lambda *a, **k: calls.append(1) or real(*a, **k))
    again = api.selection(bundled_fp, "age=78-90")  # kept in the process: no redaction
    assert calls == [] and again.value.n_by_group == res.value.n_by_group
    again.value.n_by_group["none"] = 99  # a private copy: the kept result is unchanged
    assert api.selection(bundled_fp, "age=78-90").value.n_by_group["none"] == "≤7"
    t1 = api.table_one(bundled_fp, "age=78-90")
    assert t1.value.group_n["none"] == "≤7"
    disclosed.clear()
    calls.clear()
    api.selection(bundled_fp, "age=78-90")
    assert calls == [1]  # forgotten: redacted again


def test_rule_off_answers_exact_counts(bundled_fp, fresh_cache):
    res = api.selection(bundled_fp, "age=78-90")
    assert res.value.n_by_group == {"none": 4, "spotty": 20}
    assert res.selection.disclosure == ""
