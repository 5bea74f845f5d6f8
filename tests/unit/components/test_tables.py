"""Result tables (components/tables.py): p-values and counts as they are displayed."""

from __future__ import annotations

import numpy as np

from analysis.display import format_p
from analysis.stats.linear.ancova import ancova
from components.tables import frame_table


def _cells(table) -> dict[str, str]:
    """statistic -> displayed value of a two-column (statistic, value) HTML table."""
    body = table.children[1].children
    return {row.children[0].children: row.children[1].children for row in body}


def test_format_p_by_hand():
    # the display rule (README / Table 1): three decimals, "< 0.001" below 0.001
    assert format_p(0.0004) == "< 0.001" and format_p(0.0123) == "0.012" and format_p(None) == ""


def test_diagnostics_table_shows_small_p_and_counts_correctly(random_cohort):
    rng = np.random.default_rng(3)
    # a heavily skewed outcome: residual normality is rejected with a tiny p
    skewed = random_cohort.assign(delta_pav=rng.exponential(2.0, len(random_cohort)) ** 2)
    fit = ancova(skewed, "delta_pav", covar=["pav_baseline", "age"])
    d = fit.diagnostics.set_index("statistic")["value"]
    # precondition (Jarque-Bera, checked against scipy in test_models.py): far below 0.001
    assert d["normality p"] < 1e-6
    shown = _cells(frame_table(fit.diagnostics[["statistic", "value"]]))
    assert shown["normality p"] == "< 0.001"
    n_infl = int(d["n influential"])
    assert shown["n influential"] == f"{n_infl:,}"


def test_integer_counts_have_thousands_separators():
    # the attrition cascade holds integer counts (int64), not floats
    import pandas as pd

    # and the Definition page's flow table, whose count columns are group names
    frame = pd.DataFrame({"description": ["All patients", "Age 40-60"],
                          "n": [1347, 1020], "n_excluded": [0, 327], "year": [2012, 2013],
                          "Spotty calcification": [1922, 5]})
    table = frame_table(frame, columns={"description": "Step", "n": "n left",
                                        "n_excluded": "Excluded", "year": "Year",
                                        "Spotty calcification": "Spotty calcification"})
    cells = [[td.children for td in tr.children] for tr in table.children[1].children]
    assert cells == [["All patients", "1,347", "0", "2012", "1,922"],
                     ["Age 40-60", "1,020", "327", "2013", "5"]]
