"""Shared counters (request rate, failed logins): fixed windows, Redis or per process."""

from __future__ import annotations

import os

import pytest

from accounts.counters import LocalCounter, RedisCounter
from accounts.ratelimit import SharedLoginLimiter


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_local_window_counts_then_starts_again():
    clock = Clock()
    c = LocalCounter(clock)
    assert [c.hit("a", 60) for _ in range(3)] == [1, 2, 3]
    assert c.hit("b", 60) == 1 and c.count("a", 60) == 3
    clock.now += 60  # the window is over
    assert c.count("a", 60) == 0 and c.hit("a", 60) == 1
    c.reset("a")
    assert c.count("a", 60) == 0


class DownRedis:
    """A Redis client whose every call fails (server stopped)."""

    def pipeline(self):
        raise ConnectionError("redis is down")

    def get(self, _key):
        raise ConnectionError("redis is down")

    def delete(self, _key):
        raise ConnectionError("redis is down")


def test_a_redis_outage_falls_back_to_the_process():
    c = RedisCounter(DownRedis())
    assert [c.hit("k", 60) for _ in range(2)] == [1, 2]  # counted, never an error
    assert c.count("k", 60) == 2


@pytest.mark.skipif(not os.environ.get("REDIS_TEST_URL"),
                    reason="REDIS_TEST_URL not set (make test starts a redis-server)")
def test_two_workers_share_the_redis_count():
    import redis

    url = os.environ["REDIS_TEST_URL"]
    first, second = RedisCounter(redis.Redis.from_url(url)), RedisCounter(
        redis.Redis.from_url(url))  # two workers: two clients
    first.reset("test-shared")
    assert first.hit("test-shared", 60) == 1 and second.hit("test-shared", 60) == 2
    assert first.count("test-shared", 60) == 2
    ttl = redis.Redis.from_url(url).ttl("ivus-explorer:count:test-shared")
    assert 0 < ttl <= 60  # the window expires by itself
    first.reset("test-shared")


def test_shared_login_limiter_blocks_after_the_attempts_then_clears():
    limiter = SharedLoginLimiter(LocalCounter(Clock()), attempts=3, window_s=900)
    for _ in range(3):
        assert not limiter.blocked("Ana", "10.0.0.1")
        limiter.failed("ana", "10.0.0.1")
    assert limiter.blocked("ANA", "10.0.0.1")  # names count case-insensitively
    assert not limiter.blocked("ana", "10.0.0.2")
    limiter.succeeded("ana", "10.0.0.1")
    assert not limiter.blocked("ana", "10.0.0.1")
