"""The names this package takes from :mod:`analysis.stats.linear`, one import per line.

Only these public names are used (they are stable across the linear package's
reorganisation); when a module moves, repoint its line here and nothing else changes.
"""

# ruff: noqa: I001  (one line per name on purpose, so each is repointed on its own)
from analysis.stats.linear.models import prepare
from analysis.stats.linear.models import column
from analysis.stats.linear.models import resolve_covariates
from analysis.stats.linear.models import check_frame
from analysis.stats.linear.models import check_outcome
from analysis.stats.linear.models import ModelData
from analysis.stats.linear.lsmeans import Design
from analysis.stats.linear.models import ancova

__all__ = ["Design", "ModelData", "ancova", "check_frame", "check_outcome", "column",
           "prepare", "resolve_covariates"]
