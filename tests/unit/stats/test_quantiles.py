"""Quantiles from sorted values: equal bit for bit to numpy.quantile (the reference)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from analysis.stats.quantiles import sorted_quantiles, union_quantiles

_values = hnp.arrays(np.float64, st.integers(0, 40),
                     elements=st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False))
_probs = st.lists(st.floats(0, 1), min_size=1, max_size=5)


@settings(max_examples=300, deadline=None)
@given(a=_values, b=_values, q=_probs)
def test_union_of_two_sorted_groups_equals_numpy_on_the_pooled_values(a, b, q):
    pooled = np.concatenate([a, b])
    if len(pooled) == 0:
        assert np.isnan(union_quantiles([a, b], q)).all()
        return
    expected = np.quantile(pooled, q)  # reference: numpy, linear interpolation
    np.testing.assert_array_equal(union_quantiles([np.sort(a), np.sort(b)], q), expected)
    np.testing.assert_array_equal(sorted_quantiles(np.sort(pooled), q), expected)


def test_ties_and_three_groups():
    parts = [np.array([1.0, 1.0, 2.0]), np.array([1.0, 3.0]), np.array([0.0, 2.0, 2.0, 9.0])]
    expected = np.quantile(np.concatenate(parts), [0.25, 0.5, 0.75])  # reference: numpy
    np.testing.assert_array_equal(union_quantiles(parts), expected)
    # by hand: pooled sorted 0 1 1 1 2 2 2 3 9; median at index 4 -> 2; q1 index 2 -> 1
    assert union_quantiles(parts)[:2].tolist() == [1.0, 2.0]


def test_one_empty_group_and_single_value():
    a = np.array([5.0])
    assert union_quantiles([a, np.empty(0)]).tolist() == [5.0, 5.0, 5.0]
    assert sorted_quantiles(np.array([1.0, 2.0]), [0.5])[0] == pytest.approx(1.5)
