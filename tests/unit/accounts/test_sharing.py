"""Sharing studies with the team: admins only, each change in the audit log."""

from __future__ import annotations

import pytest

from accounts import sharing
from accounts.audit import read_events
from accounts.roles import refusal_message, refused_outputs
from accounts.store import Account
from analysis import settings as settings_mod
from components.ids import ADMIN_OUTPUTS

ADMIN = Account("adam", "admin", "h")
ANALYST = Account("anna", "analyst", "h")
VIEWER = Account("vera", "viewer", "h")
FP = "a" * 64


def test_only_admins_receive_the_sharing_outputs():
    keys = sorted(ADMIN_OUTPUTS) + ["ov-ls-means.figure"]
    assert refused_outputs(ADMIN.has_role, keys) == []
    assert refused_outputs(ANALYST.has_role, keys) == sorted(ADMIN_OUTPUTS)
    assert set(refused_outputs(VIEWER.has_role, keys)) == set(ADMIN_OUTPUTS)
    assert "needs the admin role" in refusal_message("analyst", sorted(ADMIN_OUTPUTS))
    assert "aggregate results only" in refusal_message("viewer", ["data-download.data"])


@pytest.mark.parametrize("account", [ANALYST, VIEWER, None])
def test_nobody_but_an_admin_may_share(study_book, account):
    with pytest.raises(sharing.SharingRefused, match="needs the admin role"):
        sharing.set_shared(FP, True, account, "10.0.0.1")
    assert study_book.get(FP).shared is False


def test_an_admin_shares_and_unshares_and_both_are_audited(study_book):
    row = sharing.set_shared(FP, True, ADMIN, "10.0.0.1")
    assert row.shared and study_book.get(FP).visible_to("ben")
    assert study_book.get(FP).owners == ("anna",)  # the owners stay
    row = sharing.set_shared(FP, False, ADMIN, "10.0.0.1")
    assert not row.shared and not study_book.get(FP).visible_to("ben")
    assert study_book.get(FP).visible_to("anna")
    events = [(e["event"], e["user"], e["fingerprint"], e["owners"]) for e in
              read_events(settings_mod.current().audit_log)]
    assert events == [("study_shared", "adam", FP, ["anna"]),
                      ("study_unshared", "adam", FP, ["anna"])]


def test_an_unknown_study_says_what_to_do(study_book):
    with pytest.raises(sharing.SharingRefused, match="reload the page"):
        sharing.set_shared("b" * 64, True, ADMIN, "10.0.0.1")
    with pytest.raises(sharing.SharingRefused):
        sharing.set_shared("../../etc/passwd", True, ADMIN, "10.0.0.1")


def test_the_admin_list_holds_every_study(study_book):
    rows = sharing.studies()
    assert [(r.fingerprint, r.name, r.owners, r.shared) for r in rows] == [
        (FP, "anna.csv", ("anna",), False)]
