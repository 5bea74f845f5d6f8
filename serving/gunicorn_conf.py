"""gunicorn settings of the team server (``make serve``): ``gunicorn -c serving/gunicorn_conf.py app:server``.

Read from the environment (as ``analysis/settings.py`` reads the app's): EXPLORER_HOST,
EXPLORER_PORT, EXPLORER_WORKERS (default 2) and EXPLORER_THREADS (default 4). Workers
are threaded (gthread): a callback waiting on Redis frees its thread for another.
The app is loaded once before the workers fork, after the accounts check: with login
required and no account the server does not start and says how to add one.
"""

from __future__ import annotations

import os

bind = f"{os.environ.get('EXPLORER_HOST', '127.0.0.1')}:{os.environ.get('EXPLORER_PORT', '8050')}"
workers = int(os.environ.get("EXPLORER_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("EXPLORER_THREADS", "4"))
preload_app = True
timeout = 120            # an Excel export of 100,000 rows takes ~20 s
graceful_timeout = 20
keepalive = 30           # browsers keep a connection between page views
max_requests = 5000      # recycle workers now and then (bounded memory)
max_requests_jitter = 500
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = "-"
errorlog = "-"
# the access log holds no query strings of callbacks (they are POST bodies) and no cookies
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'


def on_starting(server) -> None:
    """Refuse to start when login is required and no account exists."""
    from serving.startup import StartupRefused, check_accounts

    try:
        check_accounts()
    except StartupRefused as err:
        server.log.error("%s", err)
        raise


def when_ready(server) -> None:
    """Before the workers fork, prepare what each would otherwise do on its first visitor
    (:func:`serving.startup.prepare_workers`): a bundle request reaching a worker that has
    not drawn the index yet answered 500."""
    import app as explorer  # loaded already (preload_app)
    from serving.startup import prepare_workers

    bundles, seconds = prepare_workers(explorer.app)
    server.log.info("bundle paths registered; %d static bundles compressed ahead in %.1f s",
                    bundles, seconds)
