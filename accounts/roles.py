"""What each role may receive, checked on the server for every callback and route.

viewer: aggregate results only (every page's figures and tables, Table 1 downloads).
analyst: also patient rows (the Data page's grid and its downloads) and opening studies
(the 'Open a study' page and its upload route).
admin: also shares studies with the team and unshares them (shell/sharing.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from components.ids import ADMIN_OUTPUTS, OPEN_STUDY_OUTPUTS, PATIENT_ROW_OUTPUTS

#: The least role that may receive patient rows, and open studies.
PATIENT_ROWS_ROLE = "analyst"
ANALYST_OUTPUTS = PATIENT_ROW_OUTPUTS | OPEN_STUDY_OUTPUTS
#: The least role that may share studies with the team.
ADMIN_ROLE = "admin"


def refused_outputs(role_ok, output_keys: Iterable[str]) -> list[str]:
    """The outputs of a callback request this user may not receive.

    Parameters
    ----------
    role_ok
        ``role_ok(role) -> bool``: whether the user has that role (or a higher one).
    output_keys
        ``id.prop`` of every output of the callback the request names.
    """
    keys = list(output_keys)
    refused = [] if role_ok(PATIENT_ROWS_ROLE) else [k for k in keys if k in ANALYST_OUTPUTS]
    if not role_ok(ADMIN_ROLE):
        refused += [k for k in keys if k in ADMIN_OUTPUTS]
    return refused


def refusal_message(role: str, refused: Iterable[str] = ()) -> str:
    """The 403 text: a viewer asking for patient rows or to open a study, or anyone but
    an admin asking to share a study."""
    if any(k in ADMIN_OUTPUTS for k in refused):
        return (f"Your role ({role}) cannot share studies with the team; that needs the "
                f"{ADMIN_ROLE} role.")
    return (f"Your role ({role}) sees aggregate results only; patient rows and opening "
            f"studies need the {PATIENT_ROWS_ROLE} role (an admin can change it with "
            "python -m accounts).")
