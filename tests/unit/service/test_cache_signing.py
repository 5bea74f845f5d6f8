"""Signed cache entries: an entry without this server's signature is never unpickled."""

from __future__ import annotations

import hashlib
import hmac
import logging
import pickle

import pandas as pd

from analysis import settings as settings_mod
from analysis.service import cache

UNPICKLED = []


class Booby:
    """Unpickling this appends to UNPICKLED (stands for code an attacker would run)."""

    def __reduce__(self):
        return (UNPICKLED.append, ("ran",))


def _settings(tmp_path, **kw):
    return settings_mod.Settings(cache_type="FileSystemCache", cache_dir=str(tmp_path / "c"),
                                 secret_key="k1", **kw)


def test_round_trip_and_tamper_detection():
    s = cache.SignedSerializer(b"key")
    frame = pd.DataFrame({"a": [1.5, 2.5]})
    blob = s.dumps((frame,))
    pd.testing.assert_frame_equal(s.loads(blob)[0], frame)
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    assert s.loads(tampered) is None
    assert cache.SignedSerializer(b"other key").loads(blob) is None


def test_signature_is_hmac_sha256_of_the_pickle():
    payload = pickle.dumps(("x",), pickle.HIGHEST_PROTOCOL)
    blob = cache.SignedSerializer(b"key").dumps(("x",))
    # reference: the stdlib hmac over the same pickle bytes
    expected = hmac.new(b"key", payload, hashlib.sha256).digest()
    assert blob == cache.SIGNED_MAGIC + expected + payload


def test_foreign_pickle_in_the_file_cache_is_never_loaded(tmp_path):
    backend = cache.make_backend(_settings(tmp_path))
    backend.set("k", ("good",))
    assert backend.get("k") == ("good",)
    # an outsider with write access to the folder writes a plain (unsigned) pickle
    fname = backend._get_filename("k")  # noqa: SLF001 - the file an outsider would replace
    with open(fname, "r+b") as f:
        head = f.read(4)  # cachelib's expiry header
        f.seek(0)
        f.write(head + pickle.dumps(Booby()))
        f.truncate()
    UNPICKLED.clear()
    assert backend.get("k") is None
    assert UNPICKLED == []


def test_memoize_recomputes_when_the_secret_changes(tmp_path):
    calls = []

    @cache.memoize("test.signing")
    def f(x: int) -> int:
        calls.append(x)
        return x * 2

    cache.configure(_settings(tmp_path))
    try:
        assert f(3) == 6 and f(3) == 6
        assert calls == [3]
        other = settings_mod.Settings(cache_type="FileSystemCache",
                                      cache_dir=str(tmp_path / "c"), secret_key="k2")
        cache.configure(other)  # same folder, another secret: old entries are not trusted
        assert f(3) == 6
        assert calls == [3, 3]
    finally:
        cache.configure(settings_mod.Settings(cache_type="SimpleCache"))


def test_a_new_file_cache_trusts_its_own_count_file(tmp_path, caplog):
    cache._warned.discard("signature")  # the warning is logged once per process
    backend = cache.make_backend(_settings(tmp_path))
    with caplog.at_level(logging.WARNING, logger="analysis.service.cache"):
        backend.set("k", ("v",))  # reads cachelib's file count written by the constructor
        assert backend.get("k") == ("v",)
    assert not [r for r in caplog.records if "signature" in r.getMessage()]
