"""Vectorised quote-aware counts, checked against Python's csv module."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.data.quote_scan import quoted_counts


def _by_csv(text: str) -> tuple[int, int]:
    """Reference (Python's csv module): delimiters and line breaks inside quoted fields."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    fields = sum(max(len(r) - 1, 0) for r in rows)
    return text.count(",") - fields, text.count("\n") - len(rows)


def _counts(text: str):
    return quoted_counts(np.frombuffer(text.encode(), dtype=np.uint8), ord(","), ord("\n"), 0)


@pytest.mark.parametrize("text", [
    'a,b\n"x,y",2\n',                       # delimiter inside quotes
    'a,b\n"x\ny",2\n',                      # line break inside quotes
    'a,b\n"he said ""hi"", ok",2\n',        # escaped quotes
    '"a","b"\n"",""\n',                     # every field quoted, empty fields
    'a,b\n"""x""",2\n',                     # a field that is one quoted word in quotes
    'a,b\r\n"x,y",2\r\n',                   # CRLF
])
def test_well_placed_quotes_agree_with_csv(text):
    got = _counts(text)
    assert got is not None
    assert (got.delimiters_inside, got.newlines_inside) == _by_csv(text)
    assert got.quotes == text.count('"') and got.parity == 0


@pytest.mark.parametrize("text", [
    'a,b\n5\'10",2\n',       # a quote in the middle of an unquoted field: literal
    'a,b\n"x"y,2\n',         # text after a closing quote
    'a,b\n""x,2\n',          # text after an empty quoted field
])
def test_misplaced_quotes_give_up(text):
    assert _counts(text) is None


def test_unclosed_quote_leaves_the_parity_odd():
    got = _counts('a,b\n"x,2\n3,4\n')
    assert got is not None and got.parity == 1 and got.newlines_inside == 2


def test_parity_carries_into_the_next_piece():
    # a quoted field opened in one piece and closed in the next (two chunks of a file)
    first = _counts('a,b\n"x\n')
    second = quoted_counts(np.frombuffer(b'y,z",2\n', dtype=np.uint8), ord(","), ord("\n"),
                           first.parity)
    assert first.parity == 1 and second.parity == 0
    assert first.newlines_inside + second.newlines_inside == 1     # the break after x
    assert second.delimiters_inside == 1                           # the comma in y,z


field = st.one_of(
    st.text(alphabet="ab1 ", max_size=4),
    st.text(alphabet='ab,\n"', max_size=5).map(lambda t: '"' + t.replace('"', '""') + '"'),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(field, min_size=1, max_size=4), min_size=1, max_size=6))
def test_property_quoted_tables_agree_with_csv(rows):
    text = "".join(",".join(r) + "\n" for r in rows)
    got = _counts(text)
    assert got is not None       # fields quoted as a writer quotes them are well placed
    assert (got.delimiters_inside, got.newlines_inside) == _by_csv(text)
