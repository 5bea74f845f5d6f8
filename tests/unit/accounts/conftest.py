"""Fixtures of the account tests: an account file in a temporary folder."""

from __future__ import annotations

import pytest

from accounts.store import AccountStore


@pytest.fixture()
def store(tmp_path):
    """An empty account store (its file does not exist yet)."""
    return AccountStore(tmp_path / "accounts.json")
