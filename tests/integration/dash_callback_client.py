"""Call a Dash callback through Flask's test client, as the browser does; reading answers.

Helpers only, no fixtures: the fixtures (the app, its test client, the callback caller)
are in ``tests/integration/conftest.py``. Requests are built from
``/_dash-dependencies`` so they match what dash-renderer sends to
``/_dash-update-component``.
"""

from __future__ import annotations

import json
import time


def key(ident, prop: str) -> str:
    """Normalised "id.prop" key (dict ids as compact JSON with sorted keys)."""
    if isinstance(ident, str) and ident.startswith("{"):
        ident = json.loads(ident)
    if isinstance(ident, dict):
        ident = json.dumps(ident, sort_keys=True, separators=(",", ":"))
    return f"{ident}.{prop}"


def _is_pattern(ident) -> bool:
    return isinstance(ident, dict) and any(isinstance(v, list) for v in ident.values())


class CallbackCaller:
    """Build ``/_dash-update-component`` requests from ``/_dash-dependencies``.

    ``values`` maps ``key(id, prop)`` to a value; for an ``ALL`` pattern it maps the
    pattern key to a list of ``(concrete id, value)`` pairs.
    """

    def __init__(self, client, dependencies):
        self.client = client
        self.deps = dependencies

    def find(self, output_part: str) -> dict:
        matches = [d for d in self.deps if output_part in d["output"]]
        if len(matches) > 1:  # an allow_duplicate output (id.prop@hash) of another callback
            plain = [d for d in matches if f"{output_part}@" not in d["output"]]
            matches = plain or matches
        if len(matches) != 1:
            raise LookupError(f"{len(matches)} callbacks have an output like {output_part!r}")
        return matches[0]

    @staticmethod
    def _parse(ident):
        return json.loads(ident) if isinstance(ident, str) and ident.startswith("{") else ident

    def _item(self, ident, prop, values):
        ident = self._parse(ident)
        value = values.get(key(ident, prop))
        if _is_pattern(ident):
            return [{"id": i, "property": prop, "value": v} for i, v in (value or [])]
        return {"id": ident, "property": prop, "value": value}

    def _concrete_ids(self, pattern, values):
        pkey = json.dumps(pattern, sort_keys=True, separators=(",", ":"))
        for k, v in values.items():
            if k.startswith(pkey + "."):
                return [i for i, _ in v]
        return []

    def _outputs(self, dep: dict, values: dict):
        out = dep["output"]
        multi = out.startswith("..")
        parts = out[2:-2].split("...") if multi else [out]
        specs = []
        for p in parts:
            ident, prop = p.rsplit(".", 1)
            ident = self._parse(ident)
            if _is_pattern(ident):
                specs.append([{"id": i, "property": prop}
                              for i in self._concrete_ids(ident, values)])
            else:
                specs.append({"id": ident, "property": prop})
        return specs if multi else specs[0]

    def call(self, output_part: str, values: dict, changed: list[str] | None = None):
        """POST the callback. Returns (status code, parsed JSON or None, raw bytes)."""
        dep = self.find(output_part)
        body = {
            "output": dep["output"],
            "outputs": self._outputs(dep, values),
            "inputs": [self._item(i["id"], i["property"], values) for i in dep["inputs"]],
            "state": [self._item(i["id"], i["property"], values) for i in dep["state"]],
            "changedPropIds": changed or [],
        }
        r = self.client.post("/_dash-update-component", json=body)
        data = json.loads(r.data) if r.status_code == 200 and r.data else None
        return r.status_code, data, r.data

    def call_job(self, output_part: str, values: dict, changed: list[str],
                 timeout: float = 240) -> dict:
        """POST a background callback and poll its job as dash-renderer does; returns
        the finished answer's ``response``."""
        status, first, raw = self.call(output_part, values, changed)
        assert status == 200 and first and "job" in first, raw[:500]
        dep = self.find(output_part)
        body = {"output": dep["output"], "outputs": self._outputs(dep, values),
                "inputs": [self._item(i["id"], i["property"], values) for i in dep["inputs"]],
                "state": [self._item(i["id"], i["property"], values) for i in dep["state"]],
                "changedPropIds": changed}
        url = f"/_dash-update-component?cacheKey={first['cacheKey']}&job={first['job']}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = self.client.post(url, json=body)
            data = json.loads(r.data) if r.data else {}
            if "response" in data:
                return data["response"]
            time.sleep(0.3)
        raise AssertionError(f"the background job of {output_part} did not finish")


# ----------------------------------------------------------------- reading answers
def text_of(node) -> str:
    """All text in a serialised component tree."""
    if node is None:
        return ""
    if isinstance(node, str | int | float):
        return str(node)
    if isinstance(node, list):
        return " ".join(text_of(n) for n in node)
    if isinstance(node, dict):
        return text_of(node.get("props", {}).get("children"))
    return ""


def footnote_of(fig) -> str:
    """The footnote a figure carries (``layout.meta["footnote"]``: its lines; the page
    shows them as the caption under the figure)."""
    return " ".join(fig["layout"].get("meta", {}).get("footnote", []))


# ----------------------------------------------------------------- shared inputs
from analysis.selection import FilterSpec  # noqa: E402 - after the helpers it serves
from components import ids  # noqa: E402

#: A selection used across tests: patients aged 50-70.
AGE_SPEC = FilterSpec(ranges=(("age", 50.0, 70.0),))
STORE = key(ids.FILTER_STORE, "data")
PRESENT = key(ids.option_id("present"), "value")
MEANS = key(ids.option_id("means"), "value")
WEIGHTS = key(ids.option_id("weights"), "value")
OUTCOME = key(ids.option_id("outcome"), "value")
