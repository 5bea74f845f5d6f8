"""Cost of the cached sensitivity entries and of the Comparison page's Run button.

Measured, side by side in one run:

* ``api.sensitivity`` and ``api.propensity`` cold (cache emptied) against the bare
  ``sensitivity_table`` / ``propensity_weighted`` on the same rows (the selection made
  beforehand, not timed), and warm (a cache hit), on the bundled cohort and on 20,000
  simulated patients (registered in this process);
* the Run callback (``cmp-sens-forest.figure``) through Flask's test client on the
  bundled cohort: server time cold and warm, and the response size.

Run: ``python -m benchmarks.bench_sensitivity_entry`` (prints a table; ``main()`` returns
markdown for ``benchmarks.run_all``).
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable

import pandas as pd

from analysis import settings as settings_mod
from analysis.data import registry
from analysis.data.derive import add_derived
from analysis.data.loader import load_bundled
from analysis.service import api, cache
from analysis.stats.sensitivity import propensity_weighted, sensitivity_table
from components import ids

N_LARGE = 20_000


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def _large_fingerprint(bundled: str) -> str:
    from analysis.cohort.simulate import simulate_cohort

    patients, _ = simulate_cohort(N_LARGE)
    ds = registry.get(bundled)
    return registry.register(dataclasses.replace(
        ds, frame=add_derived(patients),
        provenance=dataclasses.replace(ds.provenance, fingerprint=f"bench-{N_LARGE}")))


def _entries(fp: str, n: int) -> list[dict]:
    rows = api.filtered_frame(fp, "")
    pairs = {"sensitivity": (lambda: api.sensitivity(fp, "", "delta_pav"),
                             lambda: sensitivity_table(rows, "delta_pav")),
             "propensity": (lambda: api.propensity(fp, "", "delta_pav"),
                            lambda: propensity_weighted(rows, "delta_pav"))}
    out = []
    for name, (entry, bare) in pairs.items():
        t_bare = t_cold = float("inf")
        for _ in range(2):  # alternated, best of 2: neither side pays the first-call costs
            t_bare = min(t_bare, _timed(bare)[0])
            api.clear()
            t, res = _timed(entry)
            assert res.ok, res.error
            t_cold = min(t_cold, t)
        t_warm, _ = _timed(entry)
        out.append({"n": n, "measure": f"api.{name}", "ours_ms": t_cold * 1e3,
                    "bare_ms": t_bare * 1e3, "ratio": t_cold / t_bare,
                    "warm_ms": t_warm * 1e3})
    return out


def _callback() -> list[dict]:
    import app as app_module

    app_module.configure(dataclasses.replace(settings_mod.current(), cache_type="SimpleCache"))
    client = app_module.app.server.test_client()
    deps = json.loads(client.get("/_dash-dependencies").data)
    dep = next(d for d in deps if "cmp-sens-forest.figure" in d["output"])
    values = {"cmp-sens-run.n_clicks": 1}

    def opt(key: str, value) -> None:
        values[json.dumps(ids.option_id(key), sort_keys=True,
                          separators=(",", ":")) + ".value"] = value

    for key, value in (("outcome", "delta_pav"), ("covar", []), ("means", "adjusted"),
                       ("present", False), ("weights", "proportional")):
        opt(key, value)

    def item(i):
        ident = i["id"]
        parsed = json.loads(ident) if ident.startswith("{") else ident
        return {"id": parsed, "property": i["property"],
                "value": values.get(f"{ident}.{i['property']}")}

    outs = [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]}
            for p in dep["output"][2:-2].split("...")]
    body = {"output": dep["output"], "outputs": outs,
            "inputs": [item(i) for i in dep["inputs"]],
            "state": [item(i) for i in dep["state"]], "changedPropIds": ["cmp-sens-run.n_clicks"]}
    api.clear()
    t_cold, r = _timed(lambda: client.post("/_dash-update-component", json=body))
    t_warm, r2 = _timed(lambda: client.post("/_dash-update-component", json=body))
    assert r.status_code == r2.status_code == 200, r.data[:300]
    t_entries, _ = _timed(lambda: [api.sensitivity(registry.active().provenance.fingerprint,
                                                   "", "delta_pav", ("pav_baseline",)),
                                   api.propensity(registry.active().provenance.fingerprint,
                                                  "", "delta_pav", ("pav_baseline",))])
    return [{"n": 1347, "measure": "Run callback (cold; warm = cache hit)",
             "ours_ms": t_cold * 1e3, "bare_ms": float("nan"), "ratio": float("nan"),
             "warm_ms": t_warm * 1e3},
            {"n": 1347, "measure": "Run callback response KB", "ours_ms": len(r.data) / 1e3,
             "bare_ms": float("nan"), "ratio": float("nan"), "warm_ms": float("nan")},
            {"n": 1347, "measure": "warm callback minus its two cache hits (ms)",
             "ours_ms": (t_warm - t_entries) * 1e3, "bare_ms": float("nan"),
             "ratio": float("nan"), "warm_ms": float("nan")}]


def run() -> pd.DataFrame:
    """One row per measure (times in ms)."""
    cache.configure(dataclasses.replace(settings_mod.current(), cache_type="SimpleCache"))
    bundled = registry.register(load_bundled())
    rows = _entries(bundled, 1347) + _entries(_large_fingerprint(bundled), N_LARGE)
    return pd.DataFrame(rows + _callback())


def main() -> str:
    """Print the table; return it as markdown (for benchmarks.run_all)."""
    table = run()
    with pd.option_context("display.width", 200, "display.precision", 2):
        print(table.to_string())
    head = "| " + " | ".join(table.columns) + " |"
    rule = "| " + " | ".join("---" for _ in table.columns) + " |"
    body = ["| " + " | ".join(f"{v:.2f}" if isinstance(v, float) else str(v) for v in row)
            + " |" for row in table.itertuples(index=False)]
    return "\n".join(["Cached sensitivity entries against the bare functions on the same rows "
                      "(cold = empty cache); the Run callback through the test client.", "",
                      head, rule, *body])


if __name__ == "__main__":
    main()
