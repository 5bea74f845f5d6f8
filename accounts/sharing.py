"""Studies shared with the team: an admin shares or unshares a study opened by anyone.

A study opened in the browser is visible to the users who opened it
(:class:`analysis.data.studies.StudyRecord`); once an admin shares it, every user
sees it (its link opens it for them) until an admin unshares it. Both are checked
here on the server (the account of the request must be an admin; the callback gate
refuses the sharing outputs to everyone else first, :mod:`accounts.roles`) and
written to the audit log (who, which study, its name and owners).
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts import audit
from accounts.roles import ADMIN_ROLE
from accounts.store import Account
from analysis import settings as settings_mod
from analysis.errors import ExplorerError


class SharingRefused(ExplorerError):
    """The user may not share studies, or the study is unknown; the message says why."""


@dataclass(frozen=True)
class StudyRow:
    """One recorded study as the admin's list shows it."""

    fingerprint: str
    name: str
    owners: tuple[str, ...]
    shared: bool
    opened_at: float


def studies() -> list[StudyRow]:
    """Every study opened in the browser (by anyone), newest first."""
    from analysis.data import registry

    book = registry.study_store()[0]
    rows = []
    if book.root.is_dir():
        for path in book.root.glob("*.json"):
            r = book.get(path.stem)
            if r is not None:
                rows.append(StudyRow(r.fingerprint, r.name, r.owners, r.shared, r.opened_at))
    return sorted(rows, key=lambda r: r.opened_at, reverse=True)


def set_shared(fingerprint: str, shared: bool, account: Account | None, ip: str) -> StudyRow:
    """Share (or unshare) a study as ``account``; returns the study as it now is.

    Raises
    ------
    SharingRefused
        ``account`` is not an admin, or there is no such study.
    """
    from analysis.data import registry

    if account is None or not account.has_role(ADMIN_ROLE):
        role = account.role if account is not None else "none"
        raise SharingRefused(f"Your role ({role}) cannot share studies with the team; "
                             f"that needs the {ADMIN_ROLE} role.")
    book = registry.study_store()[0]
    record = book.share(fingerprint) if shared else book.unshare(fingerprint)
    if record is None:
        raise SharingRefused("That study is no longer recorded (its files may have expired); "
                             "reload the page.")
    s = settings_mod.current()
    if s.auth_required():
        audit.write_event(s.audit_log, "study_shared" if shared else "study_unshared",
                          user=account.name, ip=ip, fingerprint=fingerprint,
                          name=record.name, owners=list(record.owners))
    return StudyRow(record.fingerprint, record.name, record.owners, record.shared,
                    record.opened_at)


__all__ = ["ADMIN_ROLE", "SharingRefused", "StudyRow", "set_shared", "studies"]
