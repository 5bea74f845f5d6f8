"""The audit log: one JSON object per line, appended, private."""

from __future__ import annotations

import json
import os
import stat

from accounts.audit import read_events, write_event


def test_events_are_appended_as_json_lines(tmp_path):
    log = tmp_path / "sub" / "audit.log"
    write_event(log, "login", user="ana", ip="10.0.0.1")
    write_event(log, "download", user="ana", rows=12, query="age=50-70")
    lines = log.read_text().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(x) for x in lines)
    assert first["event"] == "login" and first["user"] == "ana"
    assert second["rows"] == 12 and second["query"] == "age=50-70"
    assert first["ts"].endswith("+00:00")
    assert read_events(log) == [first, second]
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600


def test_existing_lines_are_never_rewritten(tmp_path):
    log = tmp_path / "audit.log"
    log.write_text('{"event": "older"}\n')
    write_event(log, "logout", user="ana")
    assert log.read_text().startswith('{"event": "older"}\n')
    assert [e["event"] for e in read_events(log)] == ["older", "logout"]


def test_no_log_yet_reads_as_empty(tmp_path):
    assert read_events(tmp_path / "missing.log") == []
