"""Analysis layer of the IVUS study explorer: pure Python, no dash or flask.

The public API below is stable (README, "Use from Python").

Data
    load_dataset, load_bundled, Dataset, Provenance, ValidationReport, read_mapping,
    simulate_cohort, registry
Selection
    FilterSpec, apply_filters, SpottyDefinition (the definition of spotty calcification)
Statistics (take a DataFrame; return frozen results holding tidy frames)
    table_one, progression_summary, ancova, interaction, continuous_interaction,
    subgroup_effects, dose_response, histogram, box_summary, kde, ecdf, paired_summary
Sensitivity analyses of the adjusted comparison, and multiplicity
    sensitivity_table, robust_hc3, random_trial, propensity_weighted,
    multiple_imputation, deposit_trend, adjust_pvalues
The definition explorer (from the lesion file)
    definition_flow, definition_curve
Cached entry points (take a dataset fingerprint and a filter query string)
    api

The names are imported here, not on first use: ``table_one`` and ``dose_response``
are also submodule names, and importing a submodule rebinds the package attribute
of the same name, so a lazy export would turn into the module after first use.
Only ``simulate_cohort`` is imported on first use, so that ``python -m analysis.cohort.simulate``
does not find its own module already imported by the package.
"""

from analysis import errors, settings
from analysis.data import registry, schema
from analysis.data.loader import Dataset, Provenance, load_bundled, load_dataset
from analysis.data.mapping import read_mapping
from analysis.data.validation import ValidationReport
from analysis.selection import FilterSpec, apply_filters
from analysis.selection.definition import SpottyDefinition
from analysis.service import api
from analysis.stats.definition import definition_curve, definition_flow
from analysis.stats.distributions import box_summary, ecdf, histogram, kde, paired_summary
from analysis.stats.linear.ancova import ancova
from analysis.stats.linear.dose_response import dose_response
from analysis.stats.linear.interactions import continuous_interaction, interaction
from analysis.stats.linear.subgroups import subgroup_effects
from analysis.stats.multiplicity import adjust_pvalues
from analysis.stats.progression import progression_summary
from analysis.stats.sensitivity import (
    deposit_trend,
    multiple_imputation,
    propensity_weighted,
    random_trial,
    robust_hc3,
    sensitivity_table,
)
from analysis.stats.table_one import table_one

__all__ = [
    "Dataset", "FilterSpec", "Provenance", "SpottyDefinition", "ValidationReport",
    "adjust_pvalues", "ancova", "api", "apply_filters", "box_summary", "continuous_interaction",
    "definition_curve", "definition_flow", "deposit_trend", "dose_response", "ecdf", "errors", "histogram", "interaction", "kde", "load_bundled",
    "load_dataset", "multiple_imputation", "paired_summary", "progression_summary",
    "propensity_weighted", "random_trial", "read_mapping", "registry", "robust_hc3",
    "schema", "sensitivity_table", "settings", "simulate_cohort", "subgroup_effects",
    "table_one",
]


def __getattr__(name: str):
    if name == "simulate_cohort":
        from analysis.cohort.simulate import simulate_cohort

        return simulate_cohort
    raise AttributeError(f"module 'analysis' has no attribute '{name}'")
