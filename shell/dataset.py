"""The dataset the shell shows: the active one, its filter domain and navbar line."""

from __future__ import annotations

from analysis.data import registry
from analysis.display import source_name
from analysis.errors import DataLoadError
from analysis.selection.domain import FilterDomain, domain_from_dictionary
from analysis.service import api


def active_domain() -> tuple[FilterDomain, object | None, DataLoadError | None]:
    """(filter domain, dataset, load error) of the active dataset.

    When the dataset cannot be loaded the domain comes from the dictionary's plausible
    ranges and the error is returned for the page to show.
    """
    try:
        dataset = registry.active()
    except DataLoadError as err:
        return domain_from_dictionary(), None, err
    return api.filter_domain(dataset.provenance.fingerprint), dataset, None


def status_lines(dataset) -> list[str]:
    """The navbar's dataset line: the source file name (never a server path) and n."""
    if dataset is None:
        return ["No dataset loaded"]
    prov = dataset.provenance
    return [source_name(prov.source), f"{prov.rows:,} patients"]
