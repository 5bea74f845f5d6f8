"""The audit log: one JSON object per line, appended, never rewritten.

Each line has ``ts`` (UTC, ISO 8601), ``event`` and the fields of that event, e.g.::

    {"ts": "2026-12-01T09:30:00+00:00", "event": "login", "user": "ana", "ip": "10.0.0.5"}
    {"ts": "...", "event": "download", "user": "ana", "view": "data-download.data",
     "kind": "patient rows", "query": "age=50-70", "rows": 612, "ip": "10.0.0.5"}

Events: ``login``, ``login_failed``, ``login_blocked``, ``logout``, ``study_load``,
``download``, ``refused`` (a role check said no). Lines are written with one
``write`` on a file opened with O_APPEND, so the workers of one machine never
interleave them.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from pathlib import Path
from typing import Any


def write_event(path: str | os.PathLike, event: str, **fields: Any) -> dict:
    """Append one event to the log at ``path`` (created 0600 with its folder); returns it."""
    record = {"ts": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"), "event": event,
              **fields}
    line = (json.dumps(record, default=str, separators=(",", ":")) + "\n").encode()
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(p, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
    return record


def read_events(path: str | os.PathLike) -> list[dict]:
    """All events of the log (for tests and reports); [] if there is no log yet."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in text.splitlines() if line.strip()]
