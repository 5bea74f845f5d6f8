"""Checks of variable names and options before anything enters a model.

Formula safety: every name is checked against the data dictionary
(:data:`analysis.data.schema.VARIABLES`) and the data before use; models are built as
NumPy design matrices (:mod:`analysis.stats.linear.design`), so no formula string is
ever parsed and a column name can never become code.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analysis.data import schema
from analysis.data.schema import VARIABLES
from analysis.errors import AnalysisError
from analysis.stats.linear.design import WEIGHTS


def _allowed_text() -> str:
    return ", ".join(VARIABLES)


def check_variable(data: pd.DataFrame, name: object, what: str) -> schema.Variable:
    """The dictionary entry of ``name`` if it is a dictionary variable present in ``data``.

    Raises
    ------
    AnalysisError
        Naming the offending value and listing the allowed names.
    """
    if not isinstance(name, str) or name not in VARIABLES:
        raise AnalysisError(
            f"{what} {name!r} is not a variable of the data dictionary. "
            f"Choose one of: {_allowed_text()}.")
    if name not in data.columns:
        raise AnalysisError(
            f"{what} '{name}' is not a column of the data. Load data that has it or "
            f"choose another variable.")
    var = VARIABLES[name]
    if var.dtype == "str":
        raise AnalysisError(f"{what} '{name}' is an identifier and cannot enter a model.")
    return var


def check_frame(data: object) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise AnalysisError(f"Expected a pandas DataFrame, got {type(data).__name__}.")
    if data.columns.duplicated().any():
        dup = sorted({str(c) for c in data.columns[data.columns.duplicated()]})
        raise AnalysisError(f"The data has duplicate column names ({', '.join(dup)}); "
                            "rename them and try again.")
    return data


def check_options(weights: str, alpha: float) -> None:
    if weights not in WEIGHTS:
        raise AnalysisError(f"weights must be one of {', '.join(WEIGHTS)}, not {weights!r}.")
    if not (isinstance(alpha, int | float) and 0.0 < float(alpha) < 1.0):
        raise AnalysisError(f"alpha must be a number between 0 and 1, not {alpha!r}.")


def check_outcome(data: pd.DataFrame, dv: object) -> schema.Variable:
    var = check_variable(data, dv, "Outcome")
    if not var.is_numeric:
        raise AnalysisError(f"Outcome '{dv}' is not numeric; choose a numeric outcome "
                            f"such as {', '.join(v.name for v in schema.outcomes())}.")
    return var


def check_between(data: pd.DataFrame, between: object) -> schema.Variable:
    var = check_variable(data, between, "Grouping variable")
    if not var.is_categorical:
        raise AnalysisError(f"Grouping variable '{between}' is not categorical.")
    return var


def resolve_covariates(data: pd.DataFrame, dv: str, covar: Sequence[str] | str | None,
                       exclude: Sequence[str] = ()) -> tuple[list[str], list[str]]:
    """Validated covariate names and ``"name: reason"`` for defaults left out.

    ``covar=None`` means the default set (:func:`analysis.data.schema.default_covariates`);
    a default covariate absent from the data is left out and reported. A name the
    caller chose must be a dictionary variable present in the data.
    """
    dropped: list[str] = []
    if covar is None:
        names = list(schema.default_covariates(dv))
        kept = []
        for name in names:
            if name not in data.columns:
                dropped.append(f"{name}: not in the data")
            else:
                kept.append(name)
        names = kept
    else:
        if isinstance(covar, str):
            covar = [covar]
        if not isinstance(covar, list | tuple):
            raise AnalysisError(f"covar must be a list of variable names, not {covar!r}.")
        names = list(covar)
    out: list[str] = []
    for name in names:
        check_variable(data, name, "Covariate")
        if name == dv:
            raise AnalysisError(f"Covariate '{name}' is the outcome itself; remove it.")
        if name in exclude or name in out:
            continue
        out.append(name)
    return out, dropped

