"""The Content-Security-Policy in a real browser: every page draws with an empty console.

A CSP violation (a blocked inline script, style, image or eval) is a console error in
Chromium, so ``dash_duo.get_logs() == []`` on every page means the policy lets the
app's own pages run. The second test logs in through the /login form (login
required) and checks the same after the redirect.
"""

from __future__ import annotations

import socket
import time
import urllib.request

import pytest
from selenium.webdriver.common.by import By

from accounts.store import AccountStore
from analysis import settings as settings_mod
from components import ids

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def dash_app():
    import app as app_module

    app_module.configure(settings_mod.Settings(cache_type="SimpleCache"))
    yield app_module.app
    app_module.configure(settings_mod.Settings(cache_type="SimpleCache"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_drawn(dash_duo, selector: str, timeout: float = 30):
    dash_duo.wait_for_element(selector, timeout=timeout)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not dash_duo.driver.find_elements(By.CSS_SELECTOR, ".dash-spinner, ._dash-loading"):
            return
        time.sleep(0.2)


def test_every_page_passes_the_csp(dash_duo, dash_app):
    dash_duo.start_server(dash_app, port=_free_port())
    with urllib.request.urlopen(dash_duo.server_url + "/") as resp:  # noqa: S310 - loopback
        policy = resp.headers["Content-Security-Policy"]
    assert "script-src 'self' 'sha256-" in policy and "'unsafe-inline'" not in \
        policy.split("script-src")[1].split(";")[0]
    for name, (path, ready) in ids.PAGE_READY.items():
        dash_duo.wait_for_page(url=dash_duo.server_url + path, timeout=30)
        _wait_drawn(dash_duo, ready)
        assert dash_duo.get_logs() == [], name


def test_login_form_then_pages_under_the_csp(dash_duo, dash_app, tmp_path):
    import app as app_module

    accounts = tmp_path / "accounts.json"
    AccountStore(accounts).add("ana", "browser-test-password", "analyst")
    dash_duo.start_server(dash_app, port=_free_port())  # waits for the app page: login off
    driver = dash_duo.driver
    driver.get("about:blank")  # leave that page before login is switched on
    dash_duo.get_logs()  # and forget its console
    app_module.configure(settings_mod.Settings(
        cache_type="SimpleCache", auth="required", accounts_file=str(accounts),
        audit_log=str(tmp_path / "audit.log")))
    driver.get(dash_duo.server_url + "/data")
    dash_duo.wait_for_element("#username", timeout=30)
    assert "/login" in driver.current_url
    driver.find_element(By.ID, "username").send_keys("ana")
    driver.find_element(By.ID, "password").send_keys("browser-test-password")
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    path, ready = ids.PAGE_READY["data"]
    _wait_drawn(dash_duo, ready)
    assert driver.current_url.endswith(path)
    assert dash_duo.get_logs() == []
