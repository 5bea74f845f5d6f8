"""The names this package takes from :mod:`analysis.stats.linear`, one import per line.

Only these public names are used (they are stable across the linear package's
reorganisation); when a module moves, repoint its line here and nothing else changes.
"""

# ruff: noqa: I001  (one line per name on purpose, so each is repointed on its own)
from analysis.stats.linear.columns import prepare
from analysis.stats.linear.columns import column
from analysis.stats.linear.checks import resolve_covariates
from analysis.stats.linear.checks import check_frame
from analysis.stats.linear.checks import check_outcome
from analysis.stats.linear.columns import ModelData
from analysis.stats.linear.design import Design
from analysis.stats.linear.ancova import ancova

__all__ = ["Design", "ModelData", "ancova", "check_frame", "check_outcome", "column",
           "prepare", "resolve_covariates"]
