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
