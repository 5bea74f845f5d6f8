"""Browser-test fixtures: the app (built once per session) and a started server.

``dash.page_registry`` is global to the process, so the app module is imported once.
"""

from __future__ import annotations

import socket

import pytest

from analysis import settings as settings_mod


@pytest.fixture(scope="session")
def dash_app():
    """The explorer's Dash app on an in-memory cache."""
    import app as app_module

    app_module.configure(settings_mod.Settings(cache_type="SimpleCache"))
    return app_module.app


def _free_port() -> int:
    """A port nobody listens on now (others may run the app on 8050 meanwhile)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def start_app(dash_duo, dash_app):
    """Start the app and size the viewport: ``start_app(width=1440, height=900)``."""

    def start(width: int = 1440, height: int = 900):
        dash_duo.start_server(dash_app, port=_free_port())
        dash_duo.driver.set_window_size(width, height)
        # the viewport itself (the window size includes the browser's frame)
        dash_duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        return dash_duo

    return start
