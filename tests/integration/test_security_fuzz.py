"""Fuzzed callback requests: every answer is below 500 and leaks nothing.

A seeded random fuzz (reproducible: the seed is fixed) of ``/_dash-update-component``:
bodies built from ``/_dash-dependencies`` and then broken (values of the wrong type,
unknown ids and properties, missing keys, outputs that do not match the callback,
bytes that are not JSON). No answer may be a 5xx or carry Python exception text, a
traceback or a server path (the repository or the data folder).
"""

from __future__ import annotations

import copy
import json
import random
import re

import pytest

from analysis.selection.spec import FilterSpec
from analysis.settings import DATA_DIR, ROOT

N_REQUESTS = 400
SEED = 20120501

#: Text that must never reach a client: Python exception names and traceback lines.
LEAK = re.compile(r"Traceback|File \"|\b(KeyError|TypeError|ValueError|IndexError|"
                  r"AttributeError|RuntimeError|NameError|ZeroDivisionError|"
                  r"JSONDecodeError|UnicodeDecodeError)\b")

JUNK = [None, 0, -1, 1e308, float("inf"), "", "x" * 5000, "../../etc/passwd", [], {},
        [None], [1, "a", None], {"a": {"b": [1]}}, True, "{\"type\":1}", [[[[]]]],
        {"type": "flt-range", "name": ["ALL"]}, "age=abc&sex=zzz", -10**30]


def _plausible(rng: random.Random, prop: str):
    """A value of the kind the browser sends (sometimes), else junk."""
    if rng.random() < 0.5:
        return rng.choice(JUNK)
    if prop == "data":
        return rng.choice([{}, FilterSpec(ranges=(("age", 50.0, 70.0),)).to_query(), "age=old",
                           {"ranges": "nope"}, {"categories": {"sex": 3}}])
    if prop in {"pathname"}:
        return rng.choice(["/", "/data", "/comparison", "/nope", "//", "/%00"])
    if prop == "search":
        return rng.choice(["", "?age=50-70", "?age=90-10", "?outcome=zzz&means=raw", "?%%"])
    if prop == "value":
        return rng.choice([[40, 60], "adjusted", ["male"], 70, None, "raw", "delta_pav"])
    if prop == "getRowsRequest":
        return rng.choice([{"startRow": 0, "endRow": 100},
                           {"startRow": -5, "endRow": 10**9, "sortModel": "x"},
                           {"startRow": "a", "filterModel": {"age": {"type": 1}}}])
    return rng.choice([1, None, "x"])


def _item(rng, dep_item):
    ident = dep_item["id"]
    parsed = json.loads(ident) if ident.startswith("{") else ident
    if isinstance(parsed, dict) and any(isinstance(v, list) for v in parsed.values()):
        concrete = {k: ("age" if isinstance(v, list) else v) for k, v in parsed.items()}
        return [{"id": concrete, "property": dep_item["property"],
                 "value": _plausible(rng, dep_item["property"])}]
    return {"id": parsed, "property": dep_item["property"],
            "value": _plausible(rng, dep_item["property"])}


def _outputs(dep):
    out = dep["output"]
    parts = out[2:-2].split("...") if out.startswith("..") else [out]
    specs = []
    for p in parts:
        ident, prop = p.rsplit(".", 1)
        parsed = json.loads(ident) if ident.startswith("{") else ident
        if isinstance(parsed, dict) and any(isinstance(v, list) for v in parsed.values()):
            specs.append([])
        else:
            specs.append({"id": parsed, "property": prop})
    return specs if out.startswith("..") else specs[0]


def _body(rng, dep):
    return {"output": dep["output"], "outputs": _outputs(dep),
            "inputs": [_item(rng, i) for i in dep["inputs"]],
            "state": [_item(rng, s) for s in dep["state"]],
            "changedPropIds": [f"{dep['inputs'][0]['id']}.{dep['inputs'][0]['property']}"]}


def _mutate(rng, body: dict):
    """One of several ways a request can be broken (or left intact)."""
    b = copy.deepcopy(body)
    kind = rng.randrange(10)
    if kind == 0:
        b["output"] = rng.choice(["nope.children", "", "..a.b...c..", 5, None])
    elif kind == 1:
        b.pop(rng.choice(list(b)))
    elif kind == 2:
        b["inputs"] = rng.choice([None, "x", [1, 2], [{"id": 3}], {}])
    elif kind == 3:
        b["outputs"] = rng.choice([None, "x", [{"id": "page-content"}], {"id": {"a": 1}}, 7])
    elif kind == 4 and b.get("inputs"):
        b["inputs"] = b["inputs"][:-1]
    elif kind == 5:
        b["changedPropIds"] = rng.choice([None, "x", [1], ["a.b.c"], {}])
    elif kind == 6:
        b["state"] = rng.choice([None, [None], "s", [[{"id": 1}]]])
    elif kind == 7 and b.get("inputs"):
        first = b["inputs"][0]
        if isinstance(first, dict):
            first["id"] = rng.choice(["unknown-id", {"type": "x"}, 12, None])
    return b


@pytest.fixture(scope="module")
def fuzz_answers(client, dependencies):
    """(status, text) of N_REQUESTS seeded fuzzed requests."""
    rng = random.Random(SEED)
    answers = []
    for i in range(N_REQUESTS):
        dep = rng.choice(dependencies)
        if i % 25 == 0:  # not JSON at all, or JSON of the wrong shape
            raw = rng.choice([b"{", b"\xff\xfe", b"[]", b"null", b"\"x\"", b"{\"output\": 1}"])
            r = client.post("/_dash-update-component", data=raw,
                            content_type="application/json")
        else:
            r = client.post("/_dash-update-component", json=_mutate(rng, _body(rng, dep)))
        answers.append((r.status_code, r.get_data(as_text=True)))
    return answers


def test_fuzzed_callbacks_never_answer_5xx(fuzz_answers):
    server_errors = [s for s, _t in fuzz_answers if s >= 500]
    assert server_errors == []
    assert len(fuzz_answers) == N_REQUESTS


def test_fuzzed_callbacks_leak_no_exception_text(fuzz_answers):
    leaks = [t[:200] for _s, t in fuzz_answers if LEAK.search(t)]
    assert leaks == []


def test_fuzzed_callbacks_leak_no_server_path(fuzz_answers):
    paths = (str(ROOT), str(DATA_DIR))
    leaks = [t[:200] for _s, t in fuzz_answers if any(p in t for p in paths)]
    assert leaks == []


def test_malformed_json_is_a_400(client):
    r = client.post("/_dash-update-component", data=b"{not json",
                    content_type="application/json")
    assert r.status_code == 400
    assert r.is_json and set(r.get_json()) >= {"error", "error_id"}


def test_unknown_output_is_a_400(client):
    r = client.post("/_dash-update-component",
                    json={"output": "nope.children", "outputs": {"id": "nope",
                                                                 "property": "children"},
                          "inputs": [], "state": [], "changedPropIds": []})
    assert r.status_code == 400
    assert "nope" not in r.get_json()["error"] or "unknown" in r.get_json()["error"]
