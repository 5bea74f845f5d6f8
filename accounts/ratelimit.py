"""Failed logins counted per user name and client address, in a sliding window.

After ``attempts`` failures within ``window_s`` seconds for one (name, address), that
pair is refused until the oldest failure leaves the window; a success clears it.
:class:`LoginLimiter` keeps its counts in the worker's memory (``make run``: one
process). :class:`SharedLoginLimiter` keeps them in a shared counter
(:mod:`accounts.counters`: Redis under ``make serve``), so every worker of the team
server refuses the pair after the same ``attempts`` failures (counted in fixed windows
of ``window_s``).
"""

from __future__ import annotations

import threading
import time
from collections import deque

#: Pairs tracked at most; the stalest are dropped beyond it (bounded memory).
MAX_KEYS = 10_000


class LoginLimiter:
    """Sliding-window counter of failed logins."""

    def __init__(self, attempts: int, window_s: float, clock=time.monotonic):
        self.attempts = attempts
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        q = self._failures.get(key, deque())
        while q and q[0] <= now - self.window_s:
            q.popleft()
        return q

    def blocked(self, name: str, address: str) -> bool:
        """Whether this (name, address) has used up its attempts."""
        key = (name.lower(), address)
        with self._lock:
            return len(self._recent(key, self._clock())) >= self.attempts

    def failed(self, name: str, address: str) -> None:
        """Count one failure."""
        key = (name.lower(), address)
        with self._lock:
            now = self._clock()
            q = self._recent(key, now)
            q.append(now)
            self._failures[key] = q
            if len(self._failures) > MAX_KEYS:
                stalest = min(self._failures, key=lambda k: self._failures[k][-1]
                              if self._failures[k] else 0.0)
                del self._failures[stalest]

    def succeeded(self, name: str, address: str) -> None:
        """Forget the failures of this (name, address)."""
        with self._lock:
            self._failures.pop((name.lower(), address), None)


class SharedLoginLimiter:
    """Failed logins counted in a shared counter (the same interface as LoginLimiter)."""

    def __init__(self, counter, attempts: int, window_s: float):
        self.attempts = attempts
        self.window_s = window_s
        self._counter = counter

    @staticmethod
    def _key(name: str, address: str) -> str:
        return f"login:{name.lower()}:{address}"

    def blocked(self, name: str, address: str) -> bool:
        """Whether this (name, address) has used up its attempts."""
        return self._counter.count(self._key(name, address), self.window_s) >= self.attempts

    def failed(self, name: str, address: str) -> None:
        """Count one failure."""
        self._counter.hit(self._key(name, address), self.window_s)

    def succeeded(self, name: str, address: str) -> None:
        """Forget the failures of this (name, address)."""
        self._counter.reset(self._key(name, address))
