"""Failed logins per (name, address) in a sliding window, with a fake clock."""

from __future__ import annotations

from accounts.ratelimit import LoginLimiter


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_blocks_after_the_attempts_and_frees_after_the_window():
    clock = Clock()
    lim = LoginLimiter(3, 60, clock=clock)
    for _ in range(3):
        assert not lim.blocked("Ana", "10.0.0.1")
        lim.failed("Ana", "10.0.0.1")
        clock.now += 1
    assert lim.blocked("ana", "10.0.0.1")  # names compare case-insensitively
    assert not lim.blocked("ana", "10.0.0.2")  # another address
    assert not lim.blocked("bob", "10.0.0.1")  # another name
    clock.now = 1000.0 + 60.5  # the first failure (t=1000) has left the 60 s window
    assert not lim.blocked("ana", "10.0.0.1")


def test_success_clears_the_failures():
    lim = LoginLimiter(2, 60, clock=Clock())
    lim.failed("ana", "a")
    lim.succeeded("ana", "a")
    lim.failed("ana", "a")
    assert not lim.blocked("ana", "a")
