"""Column profiles of the mapping wizard, and the mapping written as TOML."""

from __future__ import annotations

import tomllib

import pandas as pd
import pytest

from analysis.data.mapping import parse_mapping
from analysis.data.mapping_toml import to_toml
from analysis.data.profiles import profile_column, understood
from analysis.data.schema import VARIABLES


def test_profile_counts_by_hand():
    p = profile_column("x", pd.Series(["1", "2", "2", "NA", None, "x"]))
    assert (p.n, p.n_missing, p.n_distinct) == (6, 2, 3)
    assert p.numeric_share == pytest.approx(3 / 4) and (p.minimum, p.maximum) == (1.0, 2.0)
    assert p.top[0] == ("2", 2)


@pytest.mark.parametrize("name, code, meaning", [
    ("diabetes", "Y", True), ("diabetes", "n", False), ("diabetes", "J", ""),
    ("sex", "M", "male"), ("sex", "1", ""), ("calcification", "Spotty", "spotty")])
def test_understood_codes_follow_the_loader_tokens(name, code, meaning):
    assert understood(VARIABLES[name], code) == meaning


def test_mapping_written_as_toml_reads_back_equal():
    mapping = {"header_row": 3, "columns": {"patient_id": "SUBJID", "sex": "GENDER"},
               "codes": {"sex": {"1": "male", "2": "female", "9": ""},
                         "diabetes": {"J": True, "N": False}},
               "units": {"ldl_c": "mmol/L"}}
    back = tomllib.loads(to_toml(mapping))
    # a code left without a meaning ("") is not written
    assert back == {**mapping, "codes": {"sex": {"1": "male", "2": "female"},
                                         "diabetes": {"J": True, "N": False}}}
    parse_mapping(back)  # the mapping reader accepts it
