"""The analysis cache: keys from primitives only, backends, failure handling."""

from __future__ import annotations

import logging
import os
import socket
import uuid

import pandas as pd
import pytest
from cachelib import FileSystemCache, RedisCache, SimpleCache

from analysis.service import cache
from analysis.settings import Settings


@pytest.fixture(autouse=True)
def simple_cache():
    """Every test starts with an empty SimpleCache; the previous backend comes back after."""
    previous = cache._backend
    backend = cache.configure(Settings(cache_type="SimpleCache"))
    yield backend
    cache._backend = previous
    cache._down_until = 0.0


def _counter():
    calls: list[tuple] = []

    def compute(a, b=2, *, c=None):
        calls.append((a, b, c))
        return {"sum": a + b, "c": c}

    return calls, compute


def test_second_call_is_served_from_the_cache():
    calls, compute = _counter()
    f = cache.memoize("test.sum")(compute)
    assert f(1) == {"sum": 3, "c": None}
    assert f(1) == f(1, 2) == f(a=1) == f(1, b=2, c=None) == {"sum": 3, "c": None}
    assert calls == [(1, 2, None)]  # defaults applied: the same key for every spelling
    assert f.uncached(1) == f(1)


def test_cached_none_is_a_hit():
    calls = []

    @cache.memoize("test.none")
    def nothing(x):
        calls.append(x)
        return None

    assert nothing("a") is None and nothing("a") is None
    assert calls == ["a"]


def test_keys_differ_for_different_arguments_and_types():
    _calls, compute = _counter()
    f = cache.memoize("test.keys")(compute)
    keys = {f.cache_key(1), f.cache_key(2), f.cache_key(1.0), f.cache_key(True),
            f.cache_key("1"), f.cache_key(1, c=(1, 2)), f.cache_key(1, c=(1, (2,))),
            f.cache_key(None)}
    assert len(keys) == 8
    g = cache.memoize("test.other")(compute)
    assert g.cache_key(1) != f.cache_key(1)  # namespace is part of the key
    key = f.cache_key(1)
    namespace, version, digest = key.split(":")
    assert namespace == "test.keys" and version == cache.code_version() and len(digest) == 64


def test_kwargs_are_sorted_in_the_key():
    @cache.memoize("test.kwargs")
    def f(**options):
        return sorted(options)

    assert f.cache_key(a=1, b=2) == f.cache_key(b=2, a=1)
    assert f.cache_key(a=1, b=2) != f.cache_key(a=2, b=1)


@pytest.mark.parametrize("bad", [pd.DataFrame({"x": [1]}), pd.Series([1]), [1, 2], {"a": 1},
                                 {1, 2}, object(), (1, [2]), b"bytes"])
def test_non_primitive_arguments_are_rejected_at_call_time(bad):
    calls, compute = _counter()
    f = cache.memoize("test.reject")(compute)
    with pytest.raises(TypeError, match="cannot use a .* as a cache key"):
        f(bad)
    with pytest.raises(TypeError, match="c=..."):
        f(1, c=bad)
    assert calls == []  # nothing computed, nothing stored


def test_two_different_frames_can_never_share_a_key():
    # Why DataFrames are refused (GUIDE convention 5): same repr, different data.
    a = pd.DataFrame({"x": range(1000)})
    b = a.copy()
    b.loc[500, "x"] = -1
    assert repr(a) == repr(b) and not a.equals(b)
    f = cache.memoize("test.frames")(lambda frame: frame["x"].sum())
    with pytest.raises(TypeError):
        f(a)


def test_clear_and_configure():
    calls, compute = _counter()
    f = cache.memoize("test.clear")(compute)
    f(1)
    cache.clear()
    f(1)
    assert len(calls) == 2
    cache.configure(Settings(cache_type="SimpleCache"))  # a new, empty backend
    f(1)
    assert len(calls) == 3


def test_unknown_cache_type_is_a_clear_error():
    with pytest.raises(ValueError, match="'simple'.*SimpleCache, FileSystemCache, RedisCache"):
        cache.configure(Settings(cache_type="simple"))


def test_backends_follow_the_settings(tmp_path):
    assert isinstance(cache.get_cache(), SimpleCache)
    backend = cache.configure(Settings(cache_type="FileSystemCache", cache_dir=str(tmp_path / "c")))
    assert isinstance(backend, FileSystemCache)
    backend = cache.configure(Settings(cache_type="RedisCache",
                                       cache_redis_url="redis://127.0.0.1:6390/3"))
    assert isinstance(backend, RedisCache)


def test_file_system_cache_round_trip(tmp_path):
    cache.configure(Settings(cache_type="FileSystemCache", cache_dir=str(tmp_path)))
    calls, compute = _counter()
    f = cache.memoize("test.fs")(compute)
    frame_result = f(2, 3)
    assert f(2, 3) == frame_result == {"sum": 5, "c": None}
    assert calls == [(2, 3, None)]
    assert any(tmp_path.iterdir())  # stored on disk
    # A second process would see it: a fresh backend on the same folder still hits.
    cache.configure(Settings(cache_type="FileSystemCache", cache_dir=str(tmp_path)))
    assert f(2, 3) == {"sum": 5, "c": None} and len(calls) == 1


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed as soon as the block ends


def test_redis_down_logs_once_and_computes(caplog):
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    cache.configure(Settings(cache_type="RedisCache", cache_redis_url=url))
    calls, compute = _counter()
    f = cache.memoize("test.redis_down")(compute)
    with caplog.at_level(logging.WARNING, logger="analysis.service.cache"):
        assert f(1) == {"sum": 3, "c": None}
        assert f(1) == {"sum": 3, "c": None}
        assert f(5) == {"sum": 7, "c": None}
        cache.clear()  # also survives
    assert len(calls) == 3  # computed every time, never an error
    warnings = [r for r in caplog.records if r.name == "analysis.service.cache"]
    assert len(warnings) == 1 and "RedisCache" in warnings[0].getMessage()


def test_redis_down_then_retried_after_the_pause(caplog):
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    cache.configure(Settings(cache_type="RedisCache", cache_redis_url=url))
    f = cache.memoize("test.redis_retry")(lambda x: x * 2)
    assert f(2) == 4
    assert cache._down_until > 0  # backend bypassed for a while
    cache._down_until = 0.0  # the pause is over: it is tried again, and fails quietly again
    assert f(3) == 6


@pytest.mark.skipif(not os.environ.get("REDIS_TEST_URL"),
                    reason="REDIS_TEST_URL not set (make test starts a redis-server)")
def test_real_redis_round_trip():
    cache.configure(Settings(cache_type="RedisCache", cache_redis_url=os.environ["REDIS_TEST_URL"]))
    backend = cache.get_cache()
    marker = uuid.uuid4().hex
    calls = []

    @cache.memoize(f"test.redis.{marker}")
    def compute(x):
        calls.append(x)
        return pd.DataFrame({"x": [x, x + 1]})

    first = compute(1)
    second = compute(1)
    assert calls == [1]
    pd.testing.assert_frame_equal(first, second)
    assert backend.has(compute.cache_key(1))
    cache.clear()  # deletes only keys with our prefix
    assert not backend.has(compute.cache_key(1))


def test_a_kept_result_is_served_without_the_backend(simple_cache, monkeypatch):
    calls, compute = _counter()
    f = cache.memoize("test.recent")(compute)
    assert f(4) == {"sum": 6, "c": None}
    monkeypatch.setattr(simple_cache, "get", lambda key: pytest.fail("backend read"))
    assert f(4) == {"sum": 6, "c": None} and len(calls) == 1  # kept in this process
    cache.clear()  # empties what the process kept, too
    monkeypatch.undo()
    assert f(4) == {"sum": 6, "c": None} and len(calls) == 2


def test_changing_a_returned_result_never_changes_the_kept_one():
    @cache.memoize("test.mutation")
    def table(x):
        return {"frame": pd.DataFrame({"v": [x, x + 1]}), "items": [x], "n": x}

    first = table(1)
    first["frame"].loc[0, "v"] = -99
    first["items"].append("extra")
    second = table(1)
    assert second["frame"]["v"].tolist() == [1, 2]
    assert second["items"] == [1] and second["n"] == 1


def test_private_copy_of_a_frozen_dataclass_holding_frames():
    import dataclasses

    import numpy as np

    @dataclasses.dataclass(frozen=True)
    class Result:
        table: pd.DataFrame
        values: np.ndarray
        notes: tuple[str, ...]

    res = Result(pd.DataFrame({"a": [1.0, 2.0]}), np.array([1.0, 2.0]), ("x",))
    mine = cache.private_copy(res)
    mine.table.loc[0, "a"] = 5.0
    mine.values[0] = 5.0
    assert res.table["a"].tolist() == [1.0, 2.0] and res.values.tolist() == [1.0, 2.0]
    assert mine.notes is res.notes  # immutable parts are shared, not copied


def test_only_the_last_results_are_kept():
    kept = cache.RecentResults(2)
    for key in ("a", "b", "c"):
        kept.put(key, key.upper())
    assert kept.get("a") is None and kept.get("c") == ("C",) and len(kept) == 2


def test_code_version_follows_every_module_of_the_package(tmp_path, monkeypatch):
    # A change in analysis/stats (outside the cache's own folder) must change the key
    # version, or a shared cache would keep serving results of the old computation.
    service = tmp_path / "analysis" / "service"
    stats = tmp_path / "analysis" / "stats"
    service.mkdir(parents=True)
    stats.mkdir()
    (service / "cache.py").write_text("# cache\n")
    (stats / "model.py").write_text("ANSWER = 1\n")
    monkeypatch.setattr(cache, "__file__", str(service / "cache.py"))
    monkeypatch.setattr(cache, "_version", None)
    before = cache.code_version()
    (stats / "model.py").write_text("ANSWER = 2\n")
    monkeypatch.setattr(cache, "_version", None)
    assert cache.code_version() != before
