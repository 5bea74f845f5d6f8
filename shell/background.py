"""The one background-callback manager of the app (the kit, exports, large-cohort analyses).

``background_manager()`` gives, once per process, the manager the settings choose
(``Settings.jobs_backend()``):

* ``diskcache`` (``make run``): Dash's ``DiskcacheManager``; jobs run in a process
  forked per job, results in ``<CACHE_DIR>/../background``.
* ``celery`` (``make serve``, or ``EXPLORER_JOBS=celery`` / ``CELERY_BROKER_URL``):
  Dash's ``CeleryManager`` on the Redis of the cache (same password, a database of its
  own: ``Settings.celery_url()``). The jobs run in a Celery worker (``celery -A
  shell.worker worker``), on this machine or another; task arguments and results are
  JSON (never pickles), and results expire after an hour.

A job never holds a request thread: the request that starts it answers at once and
the browser polls for progress and the result.
"""

from __future__ import annotations

import functools
from pathlib import Path

from analysis import settings as settings_mod

#: Seconds a finished job's result (and progress) is kept for the browser to collect.
RESULT_EXPIRE_S = 3600


def celery_app(settings: settings_mod.Settings):
    """A Celery application on ``settings.celery_url()`` (broker and result store).

    JSON only (a task message or result that an outsider wrote into Redis is never
    unpickled), one task prefetched per worker process (jobs are long), and broker
    connection retries at start-up (Redis may come up after the worker).
    """
    from celery import Celery

    url = settings.celery_url()
    app = Celery("ivus_explorer", broker=url, backend=url)
    app.conf.update(
        task_serializer="json", result_serializer="json", accept_content=["json"],
        result_accept_content=["json"], result_expires=RESULT_EXPIRE_S,
        worker_prefetch_multiplier=1, broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": RESULT_EXPIRE_S},
        redis_socket_connect_timeout=2, redis_socket_timeout=10,
        worker_hijack_root_logger=False, task_track_started=True,
    )
    return app


def make_manager(settings: settings_mod.Settings):
    """A new background-callback manager for ``settings`` (see the module docstring)."""
    if settings.jobs_backend() == "celery":
        from dash import CeleryManager

        return CeleryManager(celery_app(settings), expire=RESULT_EXPIRE_S)
    import diskcache
    from dash import DiskcacheManager

    folder = Path(settings.cache_dir).parent / "background"
    return DiskcacheManager(diskcache.Cache(str(folder)), expire=RESULT_EXPIRE_S)


@functools.lru_cache(maxsize=1)
def background_manager():
    """The app's manager (one per process), from the settings in force at first use."""
    return make_manager(settings_mod.current())


__all__ = ["RESULT_EXPIRE_S", "background_manager", "celery_app", "make_manager"]
