"""The account file: user names, roles and password hashes (never plain passwords).

One JSON file (``settings.accounts_file``, written atomically, mode 0600)::

    {"version": 1, "accounts": {"ana": {"role": "analyst", "password_hash": "scrypt:...",
                                        "created": "2026-12-01T09:00:00+00:00"}}}

Hashes are werkzeug's scrypt (salted, ``werkzeug.security.generate_password_hash``).
The file is re-read when its modification time changes, so ``python -m accounts``
takes effect in running workers without a restart.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from analysis.errors import ExplorerError

#: Roles, from least to most rights. viewer: aggregate results only; analyst: also
#: patient rows and their downloads; admin: also manages shared studies.
ROLES = ("viewer", "analyst", "admin")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
#: Checked when the user name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a password of anyone", method="scrypt")


class AccountError(ExplorerError):
    """An account cannot be added, removed or read; the message says what to do."""


@dataclass(frozen=True)
class Account:
    """One user: name, role and the password hash."""

    name: str
    role: str
    password_hash: str
    created: str = ""

    def has_role(self, role: str) -> bool:
        """Whether this account has ``role`` or a higher one."""
        return ROLES.index(self.role) >= ROLES.index(role)


def check_name(name: str) -> str:
    """The user name if valid, else AccountError (letters, digits, ``_.@-``, <= 64)."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise AccountError(f"user name {name!r} is not allowed: use 1-64 letters, digits or "
                           "_ . @ - (starting with a letter or digit)")
    return name


def check_role(role: str) -> str:
    """The role if known, else AccountError listing the roles."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    return role


def check_password(password: str) -> str:
    """The password if long enough, else AccountError."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")
    return password


class AccountStore:
    """Accounts kept in one JSON file.

    Parameters
    ----------
    path
        The account file (created on the first ``add``).
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._accounts: dict[str, Account] = {}

    def _load(self) -> dict[str, Account]:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._accounts = None, {}
            return self._accounts
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            try:
                raw = json.loads(self.path.read_text(encoding="utf-8"))
                entries = raw["accounts"]
                accounts = {n: Account(n, check_role(e["role"]), e["password_hash"],
                                       e.get("created", "")) for n, e in entries.items()}
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
                raise AccountError(f"the account file {self.path} cannot be read ({err}); "
                                   "fix it or remove it and add the accounts again") from None
            self._stamp, self._accounts = stamp, accounts
        return self._accounts

    def accounts(self) -> dict[str, Account]:
        """All accounts by name (re-read if the file changed)."""
        with self._lock:
            return dict(self._load())

    def get(self, name: str) -> Account | None:
        """The account called ``name`` or None."""
        return self.accounts().get(name) if isinstance(name, str) else None

    def verify(self, name: str, password: str) -> Account | None:
        """The account if ``password`` is its password, else None (same cost either way)."""
        account = self.get(name)
        if not isinstance(password, str) or len(password) > MAX_PASSWORD_LENGTH:
            return None
        ok = check_password_hash(account.password_hash if account else _DUMMY_HASH, password)
        return account if (ok and account is not None) else None

    def _write(self, accounts: dict[str, Account]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"version": 1, "accounts": {
            a.name: {"role": a.role, "password_hash": a.password_hash, "created": a.created}
            for a in sorted(accounts.values(), key=lambda a: a.name)}}
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".accounts-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=1)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._stamp = None

    def add(self, name: str, password: str, role: str, *, replace: bool = False) -> Account:
        """Add (or with ``replace``, update) an account; returns it."""
        check_name(name)
        check_role(role)
        check_password(password)
        with self._lock:
            accounts = dict(self._load())
            if name in accounts and not replace:
                raise AccountError(f"an account {name!r} exists; remove it first or use "
                                   "--replace to set a new password and role")
            now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
            account = Account(name, role, generate_password_hash(password, method="scrypt"),
                              now)
            accounts[name] = account
            self._write(accounts)
        return account

    def remove(self, name: str) -> None:
        """Remove the account ``name`` (AccountError if there is none)."""
        with self._lock:
            accounts = dict(self._load())
            if name not in accounts:
                raise AccountError(f"there is no account {name!r}")
            del accounts[name]
            self._write(accounts)
