"""Check a ``/_dash-update-component`` body against the callback it names.

Dash trusts the body's shape: a missing key, an unknown output or an input list of
the wrong length raises deep inside Dash and answers 500. This module checks the
shape first (against the app's own callback list, the one ``/_dash-dependencies``
serves) so that a malformed request gets a 400 with a short message. Values are
not checked here: a value of the wrong kind reaches the callback, whose failure is
answered by the app's ``on_error`` handler (a short message and an error id).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Largest number of concrete ids one ALL pattern may carry in a request.
MAX_PATTERN_ITEMS = 2000
_WILDCARDS = ("ALL", "MATCH", "ALLSMALLER")


class PayloadError(ValueError):
    """The body does not fit the callback; ``str(err)`` is safe to show the client."""


@dataclass(frozen=True)
class Slot:
    """One declared input, state or output: its id (str or dict pattern) and property."""

    ident: str | dict
    prop: str

    @property
    def wildcard(self) -> str | None:
        """ALL / MATCH / ALLSMALLER if the id is a pattern, else None."""
        if isinstance(self.ident, dict):
            for value in self.ident.values():
                if isinstance(value, list) and value and value[0] in _WILDCARDS:
                    return value[0]
        return None

    @property
    def key(self) -> str:
        """``id.prop`` with dict ids as compact sorted JSON (Dash's own spelling)."""
        ident = self.ident
        if isinstance(ident, dict):
            ident = json.dumps(ident, sort_keys=True, separators=(",", ":"))
        return f"{ident}.{self.prop}"


def _parse_id(text: str) -> str | dict:
    return json.loads(text) if text.startswith("{") else text


def output_slots(output: str) -> list[Slot]:
    """The outputs named by a callback key (``a.b``, ``..a.b...c.d..``, ``x.y@hash``)."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    slots = []
    for part in parts:
        ident, _dot, prop = part.rpartition(".")
        slots.append(Slot(_parse_id(ident), prop.split("@", 1)[0]))
    return slots


def callback_specs(callback_list: list[Mapping]) -> dict[str, dict[str, list[Slot]]]:
    """Per server-side callback key: its outputs, inputs and state as :class:`Slot` lists."""
    specs = {}
    for dep in callback_list:
        if dep.get("clientside_function"):  # runs in the browser; never posted here
            continue
        specs[dep["output"]] = {
            "outputs": output_slots(dep["output"]),
            "inputs": [Slot(_parse_id(i["id"]), i["property"]) for i in dep["inputs"]],
            "state": [Slot(_parse_id(s["id"]), s["property"]) for s in dep.get("state", [])],
        }
    return specs


def _check_item(item: Any, slot: Slot, where: str) -> None:
    prop = item.get("property") if isinstance(item, dict) else None
    # an allow_duplicate output may carry its "@hash" suffix in the property
    if not isinstance(prop, str) or prop.split("@", 1)[0] != slot.prop:
        raise PayloadError(f"{where} does not match the callback")
    ident = item.get("id")
    if slot.wildcard is None:
        if ident != slot.ident:
            raise PayloadError(f"{where} names an unknown component")
        return
    if not isinstance(ident, dict) or set(ident) != set(slot.ident):
        raise PayloadError(f"{where} names an unknown component")
    for k, v in slot.ident.items():
        fixed = not (isinstance(v, list) and v and v[0] in _WILDCARDS)
        if (fixed and ident[k] != v) or not isinstance(ident[k], str | int | float | bool):
            raise PayloadError(f"{where} names an unknown component")


def _check_group(items: Any, slots: list[Slot], where: str) -> None:
    if not isinstance(items, list) or len(items) != len(slots):
        raise PayloadError(f"the {where} do not match the callback")
    for n, (item, slot) in enumerate(zip(items, slots, strict=True)):
        _check_slot(item, slot, f"{where} {n}")


def _check_slot(item: Any, slot: Slot, where: str) -> None:
    if slot.wildcard in ("ALL", "ALLSMALLER"):
        if not isinstance(item, list) or len(item) > MAX_PATTERN_ITEMS:
            raise PayloadError(f"{where} must be a list of components")
        for sub in item:
            _check_item(sub, slot, where)
    else:
        _check_item(item, slot, where)


def validate(body: Any, specs: Mapping[str, Mapping[str, list[Slot]]]) -> list[Slot]:
    """Check ``body`` against ``specs``; return the outputs of the callback it names.

    Raises
    ------
    PayloadError
        With a short message naming what does not fit (never echoing the body).
    """
    if not isinstance(body, dict):
        raise PayloadError("the request body must be a JSON object")
    output = body.get("output")
    if not isinstance(output, str) or output not in specs:
        raise PayloadError("the request names an unknown callback")
    spec = specs[output]
    outputs = spec["outputs"]
    sent = body.get("outputs")
    if output.startswith(".."):
        _check_group(sent, outputs, "outputs")
    else:
        _check_slot(sent, outputs[0], "the output")
    _check_group(body.get("inputs"), spec["inputs"], "inputs")
    _check_group(body.get("state", []), spec["state"], "state")
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        raise PayloadError("changedPropIds must be a list of strings")
    return outputs
