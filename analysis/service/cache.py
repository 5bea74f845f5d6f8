"""The one analysis cache, and the ``memoize`` decorator for entry points.

The backend is a ``cachelib`` cache, the library flask-caching itself delegates
to (``analysis/`` never imports flask). It is chosen by the settings with
flask-caching's names (``settings.current()``):

==================  ==============================================================
``cache_type``      backend
==================  ==============================================================
SimpleCache         in-process dictionary (tests, a single worker)
FileSystemCache     ``cache_dir`` (shared by the workers of one machine; default)
RedisCache          ``cache_redis_url`` (shared by several machines)
==================  ==============================================================

``cache_timeout`` is the lifetime in seconds (0 = forever).

Keys are built only from hashable primitives (str, int, float, bool, None and
tuples of those): a DataFrame argument raises ``TypeError`` at call time, because
two different large frames have the same ``repr`` and would share a key.
A key is ``namespace:version:sha256(canonical arguments, settings digest)``; the version
changes whenever any ``analysis/*.py`` file changes, so a persistent cache never serves a
result computed by older code, and the settings digest
(:func:`analysis.settings.results_digest`: every setting but the server-only ones, e.g.
the smallest group estimated) changes with any setting a result may depend on. If the backend fails (Redis down, disk full), a
warning is logged once and the value is computed, never an error; the backend is
then bypassed for :data:`RETRY_AFTER_S` seconds before it is tried again.

In front of the backend each process keeps the last :data:`LOCAL_RESULTS` results it
computed or read (:class:`RecentResults`): a repeated call then costs the key and a
shallow copy of the result (:func:`private_copy`, so a caller that changes a returned
table never changes the kept one), not an unpickling of the entry and, for a shared
store, not a read and a signature check. What it keeps was computed by this process or
read from the backend after its signature was checked. :func:`clear` and
:func:`configure` empty it in this process; other workers keep theirs, which is safe
because a key names the code version, the dataset fingerprint, every argument and the
settings, so the same key always has the same result.

Entries written to a shared store (FileSystemCache, RedisCache) are pickles signed with
HMAC-SHA256 under a key derived from the server secret (``settings.secret_bytes``): an
entry whose signature does not match (written by someone without the secret, or
corrupted) is never unpickled; it is logged once and counts as a miss. Redis is
reached through ``cache_redis_url``, which carries its password
(``redis://:PASSWORD@host:port/0``); ``make serve`` starts one with a password.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import hmac
import inspect
import logging
import pickle
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from cachelib import BaseCache, FileSystemCache, RedisCache, SimpleCache
from cachelib.serializers import BaseSerializer

from analysis import settings as settings_module

log = logging.getLogger(__name__)

#: Bump by hand to drop every cached entry even when the code is unchanged.
CACHE_FORMAT = "1"
#: Every Redis key starts with this, so ``clear()`` deletes only our keys.
KEY_PREFIX = "ivus-explorer:"
CACHE_TYPES = ("SimpleCache", "FileSystemCache", "RedisCache")
#: Entries kept by SimpleCache / FileSystemCache before old ones are pruned.
THRESHOLD = 500
#: Results each process keeps in front of the backend (:class:`RecentResults`).
LOCAL_RESULTS = 128
_PRIMITIVES = (str, int, float, bool, type(None))

F = TypeVar("F", bound=Callable[..., Any])

_lock = threading.Lock()
_backend: BaseCache | None = None
_warned: set[str] = set()
_local_memos: list = []  # functools.lru_cache wrappers of local_memo(), emptied by clear()
_version: str | None = None
#: After a backend failure, skip the backend until this time (monotonic seconds).
RETRY_AFTER_S = 30.0
_down_until = 0.0


def code_version() -> str:
    """Short hash of the whole analysis package's source (part of every key).

    Every module under ``analysis/`` counts (not only this folder's), so a change to
    any computation invalidates the entries a shared Redis or file cache still holds.
    """
    global _version
    if _version is None:
        digest = hashlib.sha256(CACHE_FORMAT.encode())
        package = Path(__file__).resolve().parent.parent
        for path in sorted(package.rglob("*.py")):
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
        _version = digest.hexdigest()[:12]
    return _version


#: First bytes of a signed entry (format version of the signature scheme).
SIGNED_MAGIC = b"ivs1"
_DIGEST_SIZE = hashlib.sha256().digest_size


class SignedSerializer(BaseSerializer):
    """Pickles signed with HMAC-SHA256; an entry with a bad signature loads as None.

    Parameters
    ----------
    key
        The signing key (derive it from the server secret; never a constant).
    """

    def __init__(self, key: bytes):
        if not key:
            raise ValueError("the cache signing key is empty; set EXPLORER_SECRET_KEY or "
                             "let the app generate its secret file")
        self._key = key

    def _sign(self, payload: bytes) -> bytes:
        return SIGNED_MAGIC + hmac.new(self._key, payload, hashlib.sha256).digest() + payload

    def _verify(self, blob: bytes | None) -> Any:
        if not blob:
            return None
        head = len(SIGNED_MAGIC)
        mac, payload = blob[head:head + _DIGEST_SIZE], blob[head + _DIGEST_SIZE:]
        good = hmac.new(self._key, payload, hashlib.sha256).digest()
        if not blob.startswith(SIGNED_MAGIC) or not hmac.compare_digest(mac, good):
            _warn_unsigned()
            return None
        return pickle.loads(payload)  # noqa: S301 - signed by this server, checked above

    def dumps(self, value: Any, protocol: int = pickle.HIGHEST_PROTOCOL) -> bytes:
        return self._sign(pickle.dumps(value, protocol))

    def loads(self, bvalue: bytes | None) -> Any:
        return self._verify(bvalue)

    def dump(self, value: Any, f, protocol: int = pickle.HIGHEST_PROTOCOL) -> None:
        f.write(self.dumps(value, protocol))

    def load(self, f) -> Any:
        return self._verify(f.read())


def _warn_unsigned() -> None:
    if "signature" not in _warned:
        _warned.add("signature")
        log.warning("analysis cache: an entry with a missing or wrong signature was ignored "
                    "(written without this server's secret, or corrupted)")


class SignedFileSystemCache(FileSystemCache):
    """cachelib's FileSystemCache with :class:`SignedSerializer` from the start.

    The serializer is in place before cachelib's constructor writes its file-count
    entry, so that entry is signed too (set afterwards, the unsigned count file was
    refused, with a warning, on the first read).
    """

    def __init__(self, key: bytes, *args: Any, **kwargs: Any):
        self.serializer = SignedSerializer(key)
        super().__init__(*args, **kwargs)


def signing_key(settings: settings_module.Settings) -> bytes:
    """Key of the cache signatures, derived from the server secret (not the secret itself)."""
    secret = settings_module.secret_bytes(settings)
    return hmac.new(secret, b"ivus-explorer analysis cache", hashlib.sha256).digest()


def make_backend(settings: settings_module.Settings) -> BaseCache:
    """A cachelib backend for ``settings`` (flask-caching ``CACHE_TYPE`` names).

    Raises
    ------
    ValueError
        Unknown cache type (the message lists the allowed ones).
    """
    kind = settings.cache_type
    timeout = int(settings.cache_timeout)
    if kind == "SimpleCache":
        return SimpleCache(threshold=THRESHOLD, default_timeout=timeout)
    if kind == "FileSystemCache":
        Path(settings.cache_dir).mkdir(parents=True, exist_ok=True)
        return SignedFileSystemCache(signing_key(settings), settings.cache_dir,
                                     threshold=THRESHOLD, default_timeout=timeout, mode=0o600)
    if kind == "RedisCache":
        import redis  # only needed for this backend

        client = redis.Redis.from_url(settings.cache_redis_url, socket_connect_timeout=1.0,
                                      socket_timeout=2.0)
        backend = RedisCache(host=client, default_timeout=timeout, key_prefix=KEY_PREFIX)
        backend.serializer = SignedSerializer(signing_key(settings))
        return backend
    raise ValueError(
        f"unknown cache type {kind!r}; set CACHE_TYPE to one of {', '.join(CACHE_TYPES)} "
        "(flask-caching names; the old lowercase names are not accepted)")


def configure(settings: settings_module.Settings | None = None) -> BaseCache:
    """(Re)build the backend from ``settings`` (default: ``settings.current()``); the
    results this process kept from the old backend are dropped."""
    global _backend
    backend = make_backend(settings or settings_module.current())
    global _down_until
    with _lock:
        _backend = backend
        _warned.clear()
        _down_until = 0.0
    _recent.cache_clear()
    return backend


def get_cache() -> BaseCache:
    """The backend in use (built from the current settings on first use)."""
    backend = _backend
    return configure() if backend is None else backend


def clear() -> None:
    """Drop every entry (with Redis, only keys with :data:`KEY_PREFIX`) and every
    process-local memo (:func:`local_memo`)."""
    for memo in _local_memos:
        memo.cache_clear()
    try:
        get_cache().clear()
    except Exception as err:  # noqa: BLE001 - a cache failure must not break callers
        _warn_once("clear", err)


def local_memo(maxsize: int) -> Callable[[F], F]:
    """Keep the last ``maxsize`` results of a function in this process only.

    For values that must never enter the shared cache (filtered patient frames:
    large, and patient rows). Arguments must be hashable; :func:`clear` empties it.
    """

    def decorate(fn: F) -> F:
        memo = functools.lru_cache(maxsize=maxsize)(fn)
        _local_memos.append(memo)
        return memo  # type: ignore[return-value]

    return decorate


_IMMUTABLE = frozenset({str, int, float, bool, bytes, type(None), np.float64, np.int64,
                        np.bool_, frozenset})


def private_copy(value: Any) -> Any:
    """A copy of a result that can be changed without changing ``value``.

    DataFrames and Series are copied shallowly (copy-on-write: no data is copied until
    one of the two is written to), arrays, lists, dicts and sets are copied, dataclass
    instances and tuples are rebuilt around copies of their fields; anything else
    (numbers, strings, other immutable values) is shared.
    """
    if type(value) in _IMMUTABLE:
        return value
    if isinstance(value, pd.DataFrame | pd.Series):
        return value.copy(deep=False)
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, tuple):
        items = [private_copy(v) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    if isinstance(value, list):
        return [private_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: private_copy(v) for k, v in value.items()}
    if isinstance(value, set):
        return set(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        new = copy.copy(value)
        for field in dataclasses.fields(value):
            old = getattr(value, field.name)
            fresh = private_copy(old)
            if fresh is not old:
                object.__setattr__(new, field.name, fresh)  # frozen dataclasses too
        return new
    return value


class RecentResults:
    """The last ``maxsize`` results by cache key, in this process (least recently used
    dropped first); see the module docstring.

    Parameters
    ----------
    maxsize
        Results kept.
    """

    def __init__(self, maxsize: int):
        self.maxsize = int(maxsize)
        self._items: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple | None:
        """``(result,)`` when ``key`` is kept (a private copy), else None."""
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            value = self._items[key]
        return (private_copy(value),)

    def put(self, key: str, value: Any) -> None:
        """Keep ``value`` under ``key`` (callers go on using their own copy)."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def cache_clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


_recent = RecentResults(LOCAL_RESULTS)
_local_memos.append(_recent)  # emptied by clear() with the other process memos


def _warn_once(what: str, err: Exception) -> None:
    global _down_until
    _down_until = time.monotonic() + RETRY_AFTER_S
    kind = type(_backend).__name__
    if kind not in _warned:
        _warned.add(kind)
        log.warning("analysis cache (%s) failed on %s: %s; computing without the cache",
                    kind, what, err)


def _canonical(value: Any, where: str) -> str:
    """Type-tagged text of a primitive (or nested tuple); TypeError otherwise."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int) and type(value) is int:
        return f"i{value}"
    if isinstance(value, float):
        return f"f{float(value)!r}"
    if isinstance(value, str):
        return f"s{str(value)!r}"
    if isinstance(value, tuple):
        return "(" + ",".join(_canonical(v, where) for v in value) + ")"
    raise TypeError(
        f"{where}: cannot use a {type(value).__name__} as a cache key; memoized functions "
        "take only str, int, float, bool, None or tuples of those (pass a dataset "
        "fingerprint and a filter query, and fetch the frame inside)")


def make_key(namespace: str, fn: Callable[..., Any], args: tuple, kwargs: dict,
             signature: inspect.Signature | None = None) -> str:
    """Cache key of a call: arguments bound to the signature, defaults applied
    (``signature``: ``inspect.signature(fn)``, when the caller has it already)."""
    bound = (signature or inspect.signature(fn)).bind(*args, **kwargs)
    bound.apply_defaults()
    parts = []
    params = bound.signature.parameters
    for name, value in bound.arguments.items():
        if params[name].kind is inspect.Parameter.VAR_KEYWORD:  # **kwargs: sorted by name
            parts.append(name + "={" + ",".join(
                f"{k}:{_canonical(v, f'{fn.__qualname__}({k}=...)')}"
                for k, v in sorted(value.items())) + "}")
        else:
            parts.append(f"{name}={_canonical(value, f'{fn.__qualname__}({name}=...)')}")
    # the settings a result depends on (the smallest group estimated, imputation, ...)
    parts.append("settings=" + settings_module.results_digest(settings_module.current()))
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    return f"{namespace}:{code_version()}:{digest}"


def memoize(namespace: str) -> Callable[[F], F]:
    """Cache a function's results in the analysis cache.

    Parameters
    ----------
    namespace
        Prefix of the keys (one per entry point, e.g. ``"api.overview"``).

    Notes
    -----
    Every argument must be a hashable primitive; anything else (a DataFrame, a
    list, a dict) raises ``TypeError`` when the function is called. A result is also
    kept in this process (:class:`RecentResults`) once the backend holds it. The wrapped
    function is available as ``fn.uncached``; ``fn.cache_key(*args, **kwargs)``
    gives the key a call would use.
    """

    def decorate(fn: F) -> F:
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = make_key(namespace, fn, args, kwargs, signature)
            kept = _recent.get(key)
            if kept is not None:
                return kept[0]
            cache = get_cache()
            if time.monotonic() < _down_until:  # backend failed recently: just compute
                return fn(*args, **kwargs)
            try:
                hit = cache.get(key)
            except Exception as err:  # noqa: BLE001 - backend down: compute instead
                _warn_once("get", err)
                return fn(*args, **kwargs)
            if isinstance(hit, tuple) and len(hit) == 1:
                _recent.put(key, hit[0])
                return private_copy(hit[0])
            value = fn(*args, **kwargs)
            try:
                cache.set(key, (value,))  # wrapped so a cached None is a hit
            except Exception as err:  # noqa: BLE001
                _warn_once("set", err)
                return value
            _recent.put(key, value)
            return private_copy(value)

        wrapper.uncached = fn  # type: ignore[attr-defined]
        wrapper.cache_key = lambda *a, **k: make_key(namespace, fn, a, k)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


# ------------------------------------------------------------------ finished outputs
#: Marks a :func:`lookup` miss (a stored value may itself be None).
MISS = object()


def lookup(key: str) -> Any:
    """A value kept by :func:`store` under ``key``, or :data:`MISS`.

    For finished outputs of the layers above (a page's serialised figures and
    tables), whose keys they build from primitives (:func:`output_key`). Signed like
    every entry; a backend failure counts as a miss (logged once).
    """
    if time.monotonic() < _down_until:
        return MISS
    try:
        hit = get_cache().get(key)
    except Exception as err:  # noqa: BLE001 - backend down: a miss
        _warn_once("get", err)
        return MISS
    return hit[0] if isinstance(hit, tuple) and len(hit) == 1 else MISS


def store(key: str, value: Any) -> None:
    """Keep ``value`` under ``key`` (the cache's lifetime; failures are logged once)."""
    if time.monotonic() < _down_until:
        return
    try:
        get_cache().set(key, (value,))
    except Exception as err:  # noqa: BLE001
        _warn_once("set", err)


def output_key(namespace: str, *parts: Any, code: str = "") -> str:
    """Key of a finished output: ``namespace``, the primitives ``parts`` (as
    :func:`memoize` canonicalises them) and ``code``, a version of the code that made
    it (beside :func:`code_version`)."""
    text = "\n".join(_canonical(p, namespace) for p in parts)
    digest = hashlib.sha256(text.encode()).hexdigest()
    return f"{namespace}:{code_version()}{code}:{digest}"
