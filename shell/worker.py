"""The Celery worker of the team server: ``celery -A shell.worker worker``.

Importing the app registers every background callback (the kit, the Data page's
downloads, the large-cohort page analyses) as a Celery task of the app's
``CeleryManager``; the worker then runs them. It reads the same settings as gunicorn
(``EXPLORER_*``, ``CACHE_*``, ``CELERY_BROKER_URL``), so ``make serve`` starts both
with one environment; on another machine give it the same environment and code.
"""

from __future__ import annotations

from analysis import settings as settings_mod
from analysis.errors import ExplorerError

if settings_mod.current().jobs_backend() != "celery":
    raise ExplorerError("the Celery worker needs EXPLORER_JOBS=celery (or CELERY_BROKER_URL): "
                        "the app would otherwise run its jobs with diskcache, not here")

import app as _app  # noqa: E402,F401 - registers the app's background callbacks
from shell.background import background_manager  # noqa: E402

celery_app = background_manager().handle
app = celery_app  # ``celery -A shell.worker`` looks for ``app`` or ``celery``

__all__ = ["app", "celery_app"]
