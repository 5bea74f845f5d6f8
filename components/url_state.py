"""The URL query string: the filter spec plus a few page options.

The filter part is :meth:`analysis.selection.spec.FilterSpec.to_query` (owned by the filters
module). Page options use their own keys (:data:`OPTION_DEFAULTS`) and are left out
when at their default, so the default view has an empty query string. A copied
link therefore restores filters and page options in a fresh browser.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, quote

from analysis.data.schema import DEFAULT_COVARIATES

#: Columns the Data page's grid shows unless the link chooses others.
DEFAULT_DATA_COLUMNS = ("patient_id", "trial", "calcification", "n_spotty", "age", "sex",
                        "diabetes", "prior_mi", "hdl_c", "ldl_c", "sbp", "pav_baseline",
                        "pav_followup", "delta_pav", "delta_tav")
#: Options whose value is a list (comma-joined in the query).
LIST_OPTIONS = ("covar", "columns")

#: Page options kept in the URL and their defaults (written as text in the query).
OPTION_DEFAULTS: dict[str, str] = {
    "outcome": "delta_pav",            # progression, comparison, therapy
    "chart": "histogram",              # progression: histogram | box | ecdf
    "means": "adjusted",               # comparison, therapy, overview: adjusted | raw
    "weights": "proportional",         # LS-mean weighting of every model: proportional | equal
    "covar": ",".join(DEFAULT_COVARIATES),  # comparison: adjustment set (besides baseline)
    "modifier": "ldl_c",               # therapy: continuous modifier
    "columns": ",".join(DEFAULT_DATA_COLUMNS),  # data: grid columns shown
    "present": "0",                    # presentation mode (1 = on)
    "ds": "",                          # the study (dataset fingerprint); "" = the default
}
OPTION_KEYS = tuple(OPTION_DEFAULTS)
#: Options with a closed set of values: anything else in a link means the default.
OPTION_CHOICES: dict[str, tuple[str, ...]] = {
    "means": ("adjusted", "raw"),
    "weights": ("proportional", "equal"),
}


def split_query(search: str | None) -> tuple[str, dict[str, str]]:
    """Split ``?a=1&outcome=x`` into (filter query, {page option: text}).

    Keys are kept in their order; unknown keys stay in the filter query so that
    :meth:`FilterSpec.from_query` reports them.
    """
    text = (search or "").strip().lstrip("?")
    if not text:
        return "", {}
    filt, opts = [], {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        if key in OPTION_DEFAULTS:
            opts[key] = value
        else:
            filt.append(f"{quote(key, safe='_')}={quote(value, safe=',-.')}")
    return "&".join(filt), opts


def encode_option(value) -> str:
    """Control value -> query text (bool -> 1/0, list -> comma-joined)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value)


def decode_option(key: str, text: str | None):
    """Query text -> control value (present: bool, covar/columns: list, else the text).

    A value outside :data:`OPTION_CHOICES` gives the default.
    """
    text = OPTION_DEFAULTS[key] if text is None else text
    if key in OPTION_CHOICES and text not in OPTION_CHOICES[key]:
        return OPTION_DEFAULTS[key]
    if key == "present":
        return text == "1"
    if key in LIST_OPTIONS:
        return [v for v in text.split(",") if v]
    return text


def merge_query(filter_query: str, options: Mapping[str, str]) -> str:
    """``?`` + filter query + non-default options (``""`` when everything is default)."""
    parts = [filter_query] if filter_query else []
    for key in OPTION_KEYS:
        value = options.get(key)
        if value is None or value == OPTION_DEFAULTS[key]:
            continue
        parts.append(f"{key}={quote(value, safe=',-._')}")
    return ("?" + "&".join(parts)) if parts else ""


def _single(value) -> str:
    """Dash gives a list for a repeated query key: keep the last value."""
    if isinstance(value, list | tuple):
        return str(value[-1]) if value else ""
    return str(value)


def option(params: Mapping[str, str], key: str, allowed=None) -> str:
    """A page option from decoded query parameters, its default if absent or not allowed."""
    value = _single(params.get(key, OPTION_DEFAULTS[key]))
    if allowed is not None and value not in allowed:
        return OPTION_DEFAULTS[key]
    return value


def option_list(params: Mapping[str, str], key: str, allowed) -> list[str]:
    """A comma-separated option as a list, keeping only allowed values."""
    text = _single(params.get(key, OPTION_DEFAULTS[key]))
    return [v for v in text.split(",") if v in allowed]
