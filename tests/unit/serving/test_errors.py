"""The callback error handler: short message with an id, details only in the log."""

from __future__ import annotations

import logging
import re

from serving.errors import callback_failed_message, make_on_error


def test_on_error_shows_an_id_and_logs_the_exception(caplog):
    shown = {}
    handler = make_on_error(lambda ident, props: shown.update({ident: props}), "alert")
    with caplog.at_level(logging.ERROR):
        result = handler(ValueError("/srv/data/secret.csv is broken"))
    assert result is None
    text = shown["alert"]["children"]
    assert shown["alert"]["is_open"] is True
    assert "secret" not in text and "ValueError" not in text
    error_id = re.search(r"error id ([0-9a-f]{12})", text).group(1)
    record = next(r for r in caplog.records if error_id in r.getMessage())
    assert "secret.csv" in str(record.exc_info[1])


def test_empty_all_output_gets_an_empty_list():
    handler = make_on_error(lambda *a: None, "alert", outputs_list=lambda: [])
    assert handler(RuntimeError("x")) == []


def test_message_names_the_id():
    assert "error id abc123" in callback_failed_message("abc123")
