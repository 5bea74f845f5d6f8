"""Write a mapping (the nested dicts of the mapping file format) as a TOML file.

The standard library reads TOML but does not write it; a mapping has a fixed, small
shape (top-level options, flat tables, and one table per coded column), so this
writer covers exactly that shape and the mapping reader loads its output back.
"""

from __future__ import annotations

import json

from analysis.data.mapping import OPTIONS, SECTIONS


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string


def to_toml(mapping: dict) -> str:
    """The mapping as a mapping file (see docs/mapping-example.toml)."""
    lines = ["# Column mapping for the IVUS study explorer (docs/mapping-example.toml).", ""]
    for key in OPTIONS:
        if mapping.get(key) not in (None, "", False):
            lines.append(f"{key} = {_value(mapping[key])}")
    for section in SECTIONS:
        table = mapping.get(section) or {}
        if section == "codes":
            for name, codes in table.items():
                filled = {k: v for k, v in codes.items() if v != ""}
                if filled:
                    lines += ["", f"[codes.{name}]"]
                    lines += [f"{_value(k)} = {_value(v)}" for k, v in filled.items()]
        elif table:
            lines += ["", f"[{section}]"]
            lines += [f"{k} = {_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


__all__ = ["to_toml"]
