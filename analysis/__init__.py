"""Analysis layer of the IVUS study explorer: pure Python, no dash or flask.

The public API below is stable (README, "Use from Python"). Names are imported on
first use, so ``import analysis.schema`` stays light.

Data
    load_dataset, load_bundled, Dataset, Provenance, ValidationReport, read_mapping,
    simulate_cohort, registry
Selection
    FilterSpec, apply_filters
Statistics (take a DataFrame; return frozen results holding tidy frames)
    table_one, progression_summary, ancova, interaction, continuous_interaction,
    subgroup_effects, dose_response, histogram, box_summary, kde, ecdf, paired_summary
Cached entry points (take a dataset fingerprint and a filter query string)
    api
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "load_dataset": "analysis.loader",
    "load_bundled": "analysis.loader",
    "Dataset": "analysis.loader",
    "Provenance": "analysis.loader",
    "ValidationReport": "analysis.validation",
    "read_mapping": "analysis.mapping",
    "simulate_cohort": "analysis.simulate",
    "FilterSpec": "analysis.filters",
    "apply_filters": "analysis.filters",
    "table_one": "analysis.table_one",
    "progression_summary": "analysis.progression",
    "ancova": "analysis.models",
    "interaction": "analysis.interactions",
    "continuous_interaction": "analysis.interactions",
    "subgroup_effects": "analysis.subgroups",
    "dose_response": "analysis.dose_response",
    "histogram": "analysis.distributions",
    "box_summary": "analysis.distributions",
    "kde": "analysis.distributions",
    "ecdf": "analysis.distributions",
    "paired_summary": "analysis.distributions",
}
_MODULES = ("api", "registry", "schema", "settings", "errors")

__all__ = sorted([*_EXPORTS, *_MODULES])


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    if name in _MODULES:
        return importlib.import_module(f"analysis.{name}")
    raise AttributeError(f"module 'analysis' has no attribute '{name}'")


def __dir__() -> list[str]:
    return __all__
