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


def test_digest_is_sha256_of_the_documented_canonical_bytes():
    # Reference: the canonical bytes written out by hand and hashed with hashlib, so a
    # faster implementation cannot change the fingerprints that study records and links
    # carry (bool data is hashed as int64 zeros and ones, then the packed mask).
    import hashlib
    import json

    f = frame(["a", "bb", None], [True, None, False], [1.5, np.nan, -2.0])
    h = hashlib.sha256()
    h.update(json.dumps([["id", "str"], ["flag", "boolean"], ["x", "float64"]]).encode())
    h.update(b"3")
    h.update(pd.util.hash_pandas_object(pd.RangeIndex(3).to_series(), index=False)
             .to_numpy().tobytes())
    h.update(np.array([1, 2, -1], dtype="int64").tobytes() + b"abb")       # lengths, text
    h.update(np.array([1, 0, 0], dtype="int64").tobytes()
             + np.packbits(np.array([False, True, False])).tobytes())      # data, mask
    h.update(np.array([1.5, np.nan, -2.0]).tobytes())
    h.update(b"<none>")
    assert fingerprint(f) == h.hexdigest()


def test_large_frame_hashed_on_a_thread_gives_the_documented_canonical_bytes():
    # Reference: the canonical bytes built independently with NumPy (np.where per
    # column, pandas' own index hash) and hashed with hashlib in one thread; the frame
    # is large enough for the threaded path with its reused scratch buffers, and has
    # three nullable columns so that a buffer is reused while the hasher may still hold
    # the one before.
    import hashlib
    import json

    from analysis.data import fingerprint as fp_mod

    n = fp_mod.THREAD_CELLS // 4 + 1
    rng = np.random.default_rng(7)
    flags = [rng.random(n) > 0.5 for _ in range(3)]
    masks = [rng.random(n) > 0.8 for _ in range(3)]
    x = rng.normal(size=n)
    x[::11] = np.nan
    f = pd.DataFrame({"a": pd.arrays.BooleanArray(flags[0], masks[0]),
                      "b": pd.arrays.BooleanArray(flags[1], masks[1]),
                      "k": pd.arrays.IntegerArray(np.arange(n), masks[2]),
                      "x": x})
    assert f.size >= fp_mod.THREAD_CELLS
    h = hashlib.sha256()
    h.update(json.dumps([["a", "boolean"], ["b", "boolean"], ["k", "Int64"],
                         ["x", "float64"]]).encode())
    h.update(str(n).encode())
    h.update(pd.util.hash_pandas_object(pd.RangeIndex(n).to_series(), index=False)
             .to_numpy().tobytes())
    for data, mask in ((flags[0], masks[0]), (flags[1], masks[1]), (np.arange(n), masks[2])):
        h.update(np.where(mask, 0, data).astype("int64").tobytes() + np.packbits(mask).tobytes())
    h.update(x.tobytes())
    h.update(b"<none>")
    assert fingerprint(f) == h.hexdigest()


def test_integer_index_bytes_equal_pandas_hash():
    # Reference: pandas.util.hash_pandas_object, which the index part is defined by.
    from analysis.data.fingerprint import INDEX_PIECE, _index_parts

    for index in (pd.RangeIndex(1000), pd.RangeIndex(2 * INDEX_PIECE + 5),
                  pd.RangeIndex(7, 3 * INDEX_PIECE, 3), pd.RangeIndex(0),
                  pd.Index(np.arange(INDEX_PIECE + 3) * -5), pd.Index([5, -3, 2**62, 0]),
                  pd.Index(["p", "q"])):
        expected = pd.util.hash_pandas_object(index.to_series(), index=False).to_numpy()
        got = b"".join(bytes(memoryview(p)) for p in _index_parts(index))
        assert got == expected.tobytes()


def test_a_buffer_the_hashing_thread_cannot_take_is_an_error_not_a_hang():
    # a non-contiguous array cannot be hashed; more buffers than the queue holds follow
    import pytest

    from analysis.data.fingerprint import Hasher

    hasher = Hasher()
    hasher.put(np.arange(10.0)[::2])
    for _ in range(10):
        hasher.put(b"more")
    with pytest.raises(ValueError, match="contiguous"):
        hasher.digest()
