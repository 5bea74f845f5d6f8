"""Counters shared by every worker (Redis) or kept by one process: request rates and
failed logins.

``counter(settings)`` gives a :class:`RedisCounter` when the cache is Redis (``make
serve``: every gunicorn worker, on every machine, counts in one place) and a
:class:`LocalCounter` otherwise (``make run``: one process). Both count events per key
in fixed windows of ``window_s`` seconds. When Redis fails the count falls back to the
process (logged once): a limiter never turns an outage into errors.
"""

from __future__ import annotations

import logging
import threading
import time

from analysis import settings as settings_mod

log = logging.getLogger("ivus_explorer.counters")
#: Every Redis key of a counter starts with this.
PREFIX = "ivus-explorer:count:"
#: Keys kept by a LocalCounter at most (the stalest dropped beyond it).
MAX_KEYS = 10_000


class LocalCounter:
    """Fixed-window counts in this process (thread-safe, bounded)."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._counts: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, window_s: float) -> int:
        """Count one event for ``key``; returns the count in the current window."""
        now = self._clock()
        with self._lock:
            start, n = self._counts.get(key, (now, 0))
            if now - start >= window_s:
                start, n = now, 0
            self._counts[key] = (start, n + 1)
            if len(self._counts) > MAX_KEYS:
                del self._counts[min(self._counts, key=lambda k: self._counts[k][0])]
            return n + 1

    def count(self, key: str, window_s: float) -> int:
        """The count of ``key`` in the current window (without counting)."""
        now = self._clock()
        with self._lock:
            start, n = self._counts.get(key, (now, 0))
            return 0 if now - start >= window_s else n

    def reset(self, key: str) -> None:
        """Forget ``key``."""
        with self._lock:
            self._counts.pop(key, None)


class RedisCounter:
    """Fixed-window counts in Redis (INCR + EXPIRE), shared by every worker."""

    def __init__(self, client, fallback: LocalCounter | None = None):
        self._redis = client
        self._fallback = fallback or LocalCounter()
        self._warned = False

    def _failed(self, err: Exception) -> None:
        if not self._warned:
            self._warned = True
            log.warning("shared counters: Redis failed (%s); counting per worker", err)

    def hit(self, key: str, window_s: float) -> int:
        try:
            pipe = self._redis.pipeline()
            pipe.incr(PREFIX + key)
            pipe.expire(PREFIX + key, max(1, int(window_s)), nx=True)
            return int(pipe.execute()[0])
        except Exception as err:  # noqa: BLE001 - a limiter never fails a request
            self._failed(err)
            return self._fallback.hit(key, window_s)

    def count(self, key: str, window_s: float) -> int:
        try:
            value = self._redis.get(PREFIX + key)
            return int(value) if value is not None else 0
        except Exception as err:  # noqa: BLE001
            self._failed(err)
            return self._fallback.count(key, window_s)

    def reset(self, key: str) -> None:
        try:
            self._redis.delete(PREFIX + key)
        except Exception as err:  # noqa: BLE001
            self._failed(err)
        self._fallback.reset(key)


_counters: dict[str, LocalCounter | RedisCounter] = {}
_lock = threading.Lock()


def counter(settings: settings_mod.Settings | None = None) -> LocalCounter | RedisCounter:
    """The counter for ``settings`` (one per cache backend and URL, per process)."""
    s = settings or settings_mod.current()
    shared = s.cache_type == "RedisCache"
    key = s.cache_redis_url if shared else "local"
    with _lock:
        if key not in _counters:
            if shared:
                import redis

                client = redis.Redis.from_url(s.cache_redis_url, socket_connect_timeout=1.0,
                                              socket_timeout=1.0)
                _counters[key] = RedisCounter(client)
            else:
                _counters[key] = LocalCounter()
        return _counters[key]


__all__ = ["LocalCounter", "RedisCounter", "counter"]
