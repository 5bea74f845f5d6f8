"""The fingerprint hashes content: equal values give equal digests however stored."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.data.loader import fingerprint


def frame(ids, flags, x) -> pd.DataFrame:
    return pd.DataFrame({"id": pd.Series(ids, dtype="str"),
                         "flag": pd.Series(flags, dtype="boolean"),
                         "x": pd.Series(x, dtype="float64")})


def test_same_content_stored_differently_gives_the_same_digest():
    a = frame(["a", "bb", None, "c"], [True, None, False, True], [1.0, np.nan, 3.0, 4.0])
    chunked = pd.concat([a.iloc[:2], a.iloc[2:]]).reset_index(drop=True)   # 2 Arrow chunks
    longer = frame(["z", "a", "bb", None, "c"], [False, True, None, False, True],
                   [0.0, 1.0, float("nan"), 3.0, 4.0])
    sliced = longer.iloc[1:].reset_index(drop=True)                         # Arrow offset 1
    assert fingerprint(a) == fingerprint(chunked) == fingerprint(sliced)


def test_any_changed_value_changes_the_digest():
    a = frame(["a", "bb", None, "c"], [True, None, False, True], [1.0, np.nan, 3.0, 4.0])
    changes = [frame(["a", "b", None, "bc"], [True, None, False, True], [1.0, np.nan, 3.0, 4.0]),
               frame(["a", "bb", "", "c"], [True, None, False, True], [1.0, np.nan, 3.0, 4.0]),
               frame(["a", "bb", None, "c"], [True, False, False, True], [1.0, np.nan, 3.0, 4.0]),
               frame(["a", "bb", None, "c"], [True, None, False, True], [1.0, 2.0, 3.0, 4.0])]
    digests = {fingerprint(c) for c in changes}
    assert fingerprint(a) not in digests and len(digests) == len(changes)
