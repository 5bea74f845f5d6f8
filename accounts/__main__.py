"""``python -m accounts add NAME --role ROLE`` / ``remove NAME`` / ``list``.

The password is read from standard input (one line; from a terminal it is asked
twice without echo), never from the command line, where other users could see it
in the process list. The account file is ``EXPLORER_ACCOUNTS`` (see
``analysis/settings.py``) unless ``--file`` is given.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence

from accounts.store import ROLES, AccountError, AccountStore
from analysis import settings as settings_mod


def _read_password(stdin) -> str:
    if stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != first:
            raise AccountError("the two passwords differ; nothing was changed")
        return first
    line = stdin.readline()
    return line[:-1] if line.endswith("\n") else line


def main(argv: Sequence[str] | None = None, stdin=None, out=None) -> int:
    """Run the command; returns the exit status (0 ok, 1 refused, 2 usage)."""
    stdin, out = stdin or sys.stdin, out or sys.stdout
    p = argparse.ArgumentParser(prog="python -m accounts",
                                description="Accounts of the IVUS study explorer")
    p.add_argument("--file", help="account file (default: EXPLORER_ACCOUNTS)")
    sub = p.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="add an account (password from stdin)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--replace", action="store_true", help="replace an existing account")
    rm = sub.add_parser("remove", help="remove an account")
    rm.add_argument("name")
    sub.add_parser("list", help="list accounts and roles")
    sub.add_parser("check", help="exit 1 if login is required and no account exists")
    a = p.parse_args(argv)
    settings = settings_mod.from_env()
    store = AccountStore(a.file or settings.accounts_file)
    try:
        if a.command == "add":
            account = store.add(a.name, _read_password(stdin), a.role, replace=a.replace)
            print(f"account {account.name!r} ({account.role}) saved in {store.path}", file=out)
        elif a.command == "remove":
            store.remove(a.name)
            print(f"account {a.name!r} removed from {store.path}", file=out)
        elif a.command == "list":
            for acc in store.accounts().values():
                print(f"{acc.name}\t{acc.role}\t{acc.created}", file=out)
        else:
            from serving.startup import check_accounts

            check_accounts(settings.with_overrides(accounts_file=str(store.path)))
    except AccountError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except SystemExit as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
