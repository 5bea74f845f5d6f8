"""results_digest: the settings a result or page depends on are part of every cache key.

Each setting is changed on its own: every one outside SERVER_ONLY must change the
digest (a cache would otherwise serve a result made under the old value), and every
one in it must not (moving the app to another port must not empty a shared cache).
"""

from __future__ import annotations

import dataclasses

import pytest

from analysis.settings import SERVER_ONLY, Settings, results_digest

BASE = Settings(secret_key="digest-test")


def _changed(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 0.5
    return f"{value or ''}-changed"


def test_server_only_settings_are_settings():
    names = {f.name for f in dataclasses.fields(Settings)}
    assert SERVER_ONLY <= names  # a renamed setting would otherwise slip in


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(Settings)])
def test_each_setting_changes_the_digest_unless_server_only(name):
    other = dataclasses.replace(BASE, **{name: _changed(getattr(BASE, name))})
    if name in SERVER_ONLY:
        assert results_digest(other) == results_digest(BASE), name
    else:
        assert results_digest(other) != results_digest(BASE), name

