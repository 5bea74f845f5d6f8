"""Fixtures of the shell tests: a Flask request as a logged-in user, settings restored."""

from __future__ import annotations

import pytest
from flask import Flask, g

from accounts.store import Account
from analysis import settings as settings_mod
from analysis.service import cache


@pytest.fixture()
def use_settings(tmp_path):
    """Put settings in force for one test (a secret and a study folder of its own)."""
    previous, backend = settings_mod._current, cache._backend

    def use(**changes) -> settings_mod.Settings:
        base = {"secret_key": "shell-test-secret", "cache_type": "SimpleCache",
                "study_dir": str(tmp_path / "studies")}
        s = settings_mod.Settings(**{**base, **changes})
        settings_mod.configure(s)
        cache.configure(s)
        return s

    use()
    yield use
    settings_mod._current = previous
    cache._backend = backend


@pytest.fixture()
def request_as(use_settings):
    """``request_as(name, role)``: a request context of that logged-in user."""
    app = Flask(__name__)
    app.secret_key = "shell-test-secret"

    def enter(name: str, role: str):
        ctx = app.test_request_context("/", environ_base={"REMOTE_ADDR": "10.0.0.9"})
        ctx.push()
        g.account = Account(name, role, "hash")
        from flask import session

        session["user"] = name
        return ctx

    contexts = []
    yield lambda name, role: contexts.append(enter(name, role)) or contexts[-1]
    for ctx in reversed(contexts):
        if ctx._cv_tokens:  # not popped by the test itself
            ctx.pop()
