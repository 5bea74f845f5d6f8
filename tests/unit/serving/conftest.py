"""Fixtures of the serving tests: a small callback list like ``/_dash-dependencies``."""

from __future__ import annotations

import pytest

from serving.payload import callback_specs


@pytest.fixture()
def specs():
    """Three callbacks: single output, multi output with an ALL pattern, a duplicate."""
    return callback_specs([
        {"output": "grid.rows", "inputs": [{"id": "grid", "property": "request"}],
         "state": [{"id": "store", "property": "data"}]},
        {"output": '..count.children...{"name":["ALL"],"type":"rng"}.value..',
         "inputs": [{"id": "store", "property": "data"},
                    {"id": '{"name":["ALL"],"type":"rng"}', "property": "value"}],
         "state": []},
        {"output": "url.search@abc", "inputs": [{"id": "opt", "property": "value"}],
         "state": []},
        {"output": "title.x", "inputs": [{"id": "t", "property": "data"}], "state": [],
         "clientside_function": {"namespace": "n", "function_name": "f"}},
    ])
