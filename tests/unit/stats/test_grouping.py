"""Group selection on categorical codes: the same answers as comparing text."""

import numpy as np
import pandas as pd

from analysis.stats.grouping import codes_of, group_mask, level_codes, outside_note


def test_categorical_and_text_columns_give_the_same_masks_and_codes():
    text = pd.Series(["spotty", None, "none", "other", "spotty", "none"], dtype="str")
    cat = text.astype(pd.CategoricalDtype(["none", "spotty", "other", "unused"]))
    data = pd.DataFrame({"g_text": text, "g_cat": cat})
    for column in ("g_text", "g_cat"):
        # by hand: spotty at rows 0 and 4; the missing row 1 is in no group
        assert group_mask(data, column, "spotty").tolist() == [1, 0, 0, 0, 1, 0]
        assert group_mask(data, column, "none").tolist() == [0, 0, 1, 0, 0, 1]
        assert not group_mask(data, column, "absent").any()
        assert level_codes(data[column], ("none", "spotty")).tolist() == [1, -1, 0, -1, 1, 0]
    codes, labels = codes_of(data["g_cat"])
    assert labels == ["none", "spotty", "other", "unused"] and codes[1] == -1


def test_outside_note_counts_other_levels_and_missing():
    col = pd.Series(["none", "other", None, "spotty", "other", "zeta"])
    for series in (col, col.astype("category")):
        note = outside_note(pd.DataFrame({"g": series}), "g", ("none", "spotty"))
        # by hand: other 2, zeta 1, one missing -> 4 rows, levels sorted as text
        assert note == ("4 row(s) outside the compared levels of 'g' are not included "
                        "(other: 2; zeta: 1; missing g: 1).")
    assert outside_note(pd.DataFrame({"g": ["none", "spotty"]}), "g", ("none", "spotty")) is None


def test_numeric_category_labels_compare_as_text():
    series = pd.Series([1, 2, np.nan, 1]).astype("category")
    assert group_mask(pd.DataFrame({"g": series}), "g", "1.0").tolist() == [1, 0, 0, 1]
