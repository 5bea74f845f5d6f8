"""The account file: hashes not passwords, 0600, validation with clear messages."""

from __future__ import annotations

import json
import os
import stat

import pytest
from werkzeug.security import check_password_hash

from accounts.store import ROLES, AccountError, AccountStore


def test_added_account_verifies_and_keeps_no_plain_password(store):
    store.add("ana", "correct horse battery", "analyst")
    text = store.path.read_text()
    assert "correct horse battery" not in text
    entry = json.loads(text)["accounts"]["ana"]
    assert entry["role"] == "analyst"
    assert entry["password_hash"].startswith("scrypt:")
    # reference: werkzeug's own checker accepts the stored hash
    assert check_password_hash(entry["password_hash"], "correct horse battery")
    assert store.verify("ana", "correct horse battery").role == "analyst"
    assert store.verify("ana", "wrong horse battery") is None
    assert store.verify("nobody", "correct horse battery") is None


def test_file_is_private(store):
    store.add("ana", "correct horse battery", "viewer")
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600


def test_same_password_gets_different_salts(store):
    store.add("a1", "same password here", "viewer")
    store.add("a2", "same password here", "viewer")
    entries = json.loads(store.path.read_text())["accounts"]
    assert entries["a1"]["password_hash"] != entries["a2"]["password_hash"]


@pytest.mark.parametrize(("name", "password", "role", "message"), [
    ("ana", "short", "viewer", "at least 10 characters"),
    ("bad name", "long enough pw", "viewer", "is not allowed"),
    ("-x", "long enough pw", "viewer", "is not allowed"),
    ("ana", "long enough pw", "root", "choose one of viewer, analyst, admin"),
])
def test_bad_input_is_refused_with_a_reason(store, name, password, role, message):
    with pytest.raises(AccountError, match=message):
        store.add(name, password, role)
    assert not store.path.exists()


def test_duplicate_needs_replace(store):
    store.add("ana", "first password", "viewer")
    with pytest.raises(AccountError, match="--replace"):
        store.add("ana", "second password", "admin")
    store.add("ana", "second password", "admin", replace=True)
    assert store.verify("ana", "first password") is None
    assert store.verify("ana", "second password").role == "admin"


def test_remove(store):
    store.add("ana", "first password", "viewer")
    store.remove("ana")
    assert store.accounts() == {}
    with pytest.raises(AccountError, match="no account 'ana'"):
        store.remove("ana")


def test_a_second_store_sees_changes_of_the_file(store):
    other = AccountStore(store.path)  # e.g. a worker process while the CLI adds a user
    assert other.accounts() == {}
    store.add("ana", "first password", "viewer")
    assert set(other.accounts()) == {"ana"}


def test_broken_file_says_what_to_do(store):
    store.path.write_text("{not json")
    with pytest.raises(AccountError, match="fix it or remove it"):
        store.accounts()


def test_roles_are_ordered(store):
    acc = store.add("ana", "first password", "analyst")
    assert ROLES == ("viewer", "analyst", "admin")
    assert acc.has_role("viewer") and acc.has_role("analyst") and not acc.has_role("admin")
