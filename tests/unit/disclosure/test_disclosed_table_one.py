"""Table 1 under disclosure control, on the 13-patient tiny cohort (5 none, 6 spotty;
its numbers are listed in tests/unit/conftest.py)."""

from __future__ import annotations

from analysis.disclosure.cells import protect
from analysis.disclosure.rule import REDACTED, WITHHELD, DisclosureRule
from analysis.disclosure.table_one import _cells, redact_table_one
from analysis.stats.table_one import table_one

RULE5 = DisclosureRule(k=5, base=1)


def _row(formatted, text):
    rows = formatted[formatted["Variable"].str.strip() == text]
    assert len(rows) == 1, text
    return rows.iloc[0]


def test_rule_off_returns_table_one_unchanged(tiny_cohort, rule_off):
    res = table_one(tiny_cohort)
    assert redact_table_one(res, rule_off) is res


def test_group_headers_small_group_and_its_complement(tiny_cohort):
    # none n = 5 <= 5 -> "≤5"; overall 11 = 5 + 6 would give it back, so spotty (6, the
    # other cell of that line) is redacted too; the overall 11 stays
    out = redact_table_one(table_one(tiny_cohort), RULE5)
    heads = list(out.formatted.columns[1:4])
    assert heads == ["Overall (n=11)", "No calcification (n ≤ 5)",
                     "Spotty calcification (n redacted)"]
    assert out.group_n == {"none": "≤5", "spotty": REDACTED}


def test_summaries_of_a_small_group_are_withheld(tiny_cohort):
    out = redact_table_one(table_one(tiny_cohort), RULE5).formatted
    trig = _row(out, "Triglycerides (mg/dl), median [Q1, Q3]")
    # none has 5 values: withheld, and so is overall (it would give none back); spotty:
    # 90, 110, 130, 170, 250, 600 -> median 150, Q1 115, Q3 230 (linear, by hand)
    assert trig.iloc[2] == WITHHELD and trig.iloc[1] == WITHHELD
    assert trig.iloc[3] == "150 [115, 230]"
    assert trig["p"] == WITHHELD and trig["SMD"] == WITHHELD


def test_category_counts_primary_and_secondary(tiny_cohort):
    out = redact_table_one(table_one(tiny_cohort), RULE5)
    male, female = _row(out.formatted, "male"), _row(out.formatted, "female")
    # sex: none 3 male / 2 female, spotty 5 / 1 -> all <= 5; overall 8 male / 3 female:
    # 3 is small and 8 = 11 - 3 would give it back -> redacted
    assert list(female.iloc[1:4]) == ["≤5", "≤5", "≤5"]
    assert list(male.iloc[1:4]) == [REDACTED, "≤5", "≤5"]
    assert _row(out.formatted, "Sex, n (%)")["p"] == WITHHELD


def test_no_suppressed_table_one_cell_can_be_recomputed(sim_cohort, rule7_exact,
                                                        recoverable):
    # patients aged 78 or more: few of them have no calcium (independent pandas filter)
    small = sim_cohort[sim_cohort["age"] >= 78]
    res = table_one(small)
    scopes = ["overall", *res.levels]
    values, lines, hidden, _ = _cells(res.tidy.reset_index(drop=True), scopes,
                                      {"overall": res.n_overall, **res.group_n})
    for total, parts in lines:  # the lines hold on the real counts
        assert values[total] == sum(values[p] for p in parts)
    shown = protect(values, lines, rule7_exact, hidden)
    assert any(v == "≤7" for v in shown.values())
    assert recoverable(values, lines, shown, hidden) == []


def test_percentages_from_rounded_counts(sim_cohort, rule7):
    res = redact_table_one(table_one(sim_cohort), rule7)
    t = res.tidy
    row = t[(t["variable"] == "sex") & (t["level"] == "male")].iloc[0]
    # every count a multiple of 5, and % = count / n of the shown numbers
    assert row["spotty_count"] % 5 == 0 and row["spotty_n"] % 5 == 0
    assert abs(row["spotty_pct"] - 100 * row["spotty_count"] / row["spotty_n"]) < 1e-12
    assert rule7.caption() in res.notes
