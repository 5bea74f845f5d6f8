"""``python -m accounts``: add (password from stdin), remove, list, check."""

from __future__ import annotations

import io
import subprocess
import sys

from accounts.__main__ import main
from accounts.store import AccountStore
from analysis.settings import ROOT


def test_add_reads_the_password_from_stdin(tmp_path):
    path = tmp_path / "accounts.json"
    out = io.StringIO()
    status = main(["--file", str(path), "add", "ana", "--role", "analyst"],
                  stdin=io.StringIO("a long password\n"), out=out)
    assert status == 0 and "'ana' (analyst) saved" in out.getvalue()
    assert AccountStore(path).verify("ana", "a long password").role == "analyst"


def test_remove_and_errors(tmp_path, capsys):
    path = tmp_path / "accounts.json"
    main(["--file", str(path), "add", "ana", "--role", "viewer"],
         stdin=io.StringIO("a long password\n"), out=io.StringIO())
    assert main(["--file", str(path), "remove", "ana"], out=io.StringIO()) == 0
    assert main(["--file", str(path), "remove", "ana"], out=io.StringIO()) == 1
    assert "no account 'ana'" in capsys.readouterr().err
    assert main(["--file", str(path), "add", "bo", "--role", "viewer"],
                stdin=io.StringIO("short\n"), out=io.StringIO()) == 1
    assert "at least 10 characters" in capsys.readouterr().err


def test_module_runs_as_a_command(tmp_path):
    """The documented command line, in a child process."""
    path = tmp_path / "accounts.json"
    run = subprocess.run([sys.executable, "-m", "accounts", "--file", str(path), "add", "ana",
                          "--role", "admin"], input="a long password\n", text=True,
                         capture_output=True, cwd=ROOT, timeout=60)
    assert run.returncode == 0, run.stderr
    listed = subprocess.run([sys.executable, "-m", "accounts", "--file", str(path), "list"],
                            text=True, capture_output=True, cwd=ROOT, timeout=60)
    assert listed.stdout.split("\t")[:2] == ["ana", "admin"]


def test_check_refuses_when_login_is_required_without_accounts(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EXPLORER_AUTH", "required")
    assert main(["--file", str(tmp_path / "none.json"), "check"]) == 1
    assert "python -m accounts add NAME" in capsys.readouterr().err
