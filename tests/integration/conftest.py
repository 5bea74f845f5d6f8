"""Fixtures of the integration tests: the app, built once per session
(``dash.page_registry`` is global to the process), its Flask test client, the dataset
it serves and a caller of its callbacks
(:class:`dash_callback_client.CallbackCaller`)."""

from __future__ import annotations

import json

import pytest
from dash_callback_client import CallbackCaller

from analysis import settings as settings_mod
from analysis.data import registry


@pytest.fixture(scope="session")
def dash_app():
    """The Dash app on the bundled cohort with an in-process cache."""
    import app as app_module

    app_module.configure(settings_mod.Settings(cache_type="SimpleCache"))
    return app_module.app


@pytest.fixture(scope="session")
def client(dash_app):
    return dash_app.server.test_client()


@pytest.fixture(scope="session")
def dataset(dash_app):
    return registry.active()


@pytest.fixture(scope="session")
def dependencies(client):
    return json.loads(client.get("/_dash-dependencies").data)


@pytest.fixture(scope="session")
def caller(client, dependencies):
    return CallbackCaller(client, dependencies)
