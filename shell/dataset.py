"""The study the shell shows: this session's study, its filter domain and navbar line."""

from __future__ import annotations

from analysis.display import format_count, source_name
from analysis.errors import DataLoadError
from analysis.selection.domain import FilterDomain, domain_from_dictionary
from analysis.service import api
from components import session


def active_domain() -> tuple[FilterDomain, object | None, DataLoadError | None]:
    """(filter domain, provenance, load error) of this session's study.

    When the default dataset cannot be loaded the domain comes from the dictionary's
    plausible ranges and the error is returned for the page to show.
    """
    try:
        fp = session.current_fingerprint()
    except DataLoadError as err:
        return domain_from_dictionary(), None, err
    return api.filter_domain(fp), api.provenance(fp), None


def status_lines(provenance) -> list[str]:
    """The navbar's study line: the source file name (never a server path) and n."""
    if provenance is None:
        return ["No dataset loaded"]
    return [source_name(provenance.source), f"{format_count(provenance.rows)} patients"]


def is_default() -> bool:
    """Whether this session shows the default dataset (not a study it opened)."""
    try:
        return session.current_fingerprint() == session.default_fingerprint()
    except DataLoadError:
        return True
