"""The start-up refusal when login is required without accounts (serving.startup)."""

from __future__ import annotations

import pytest

from accounts.store import AccountStore
from analysis.settings import Settings
from serving.startup import StartupRefused, check_accounts


def test_refuses_without_accounts_and_says_how_to_add_one(tmp_path):
    s = Settings(host="0.0.0.0", accounts_file=str(tmp_path / "a.json"))
    with pytest.raises(StartupRefused, match="python -m accounts add NAME --role analyst"):
        check_accounts(s)


def test_starts_with_an_account_or_on_loopback(tmp_path):
    path = tmp_path / "a.json"
    check_accounts(Settings(host="127.0.0.1", accounts_file=str(path)))  # login off
    AccountStore(path).add("ana", "a long password", "analyst")
    check_accounts(Settings(host="0.0.0.0", accounts_file=str(path)))


def test_prepared_workers_serve_every_bundle_without_drawing_the_index():
    """A fresh app (as a gunicorn worker forked from the master) serves a bundle at once."""
    import logging

    logging.disable(logging.WARNING)
    try:
        import app as explorer
        from serving.startup import prepare_workers

        bundles, _seconds = prepare_workers(explorer.app)
        assert bundles >= 1  # plotly.js at least
        paths = explorer.app.registered_paths
        assert "package_data/plotly.min.js" in paths["plotly"]
        assert any(p.endswith("react-dom@18.3.1.min.js") for p in paths["dash"]), paths["dash"]
    finally:
        logging.disable(logging.NOTSET)
