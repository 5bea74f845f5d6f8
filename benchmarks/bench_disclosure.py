"""Cost of disclosure control (``EXPLORER_SUPPRESS_K=7``, ``EXPLORER_ROUND_BASE=5``).

Measured, side by side in one run, for each cached entry a page uses, on the bundled
cohort and on one small selection (patients aged 72-90, where cells are suppressed):

* ``off_ms``: the entry with the rule off (a cache hit: what a page pays today);
* ``on_first_ms``: the same cache hit with the rule on, the first time in this process
  (the redaction runs after the cache);
* ``on_hit_ms``: again (the disclosed result is kept in the process);
* ``bare_ms``: the bare analysis function on the selected rows (no cache), the cost the
  redaction is compared with;
* ``ratio`` = (on_first - off) / bare: the redaction's share of one computation.

Each time is the best of 5. Run: ``python -m benchmarks.bench_disclosure`` (prints a
table; ``main()`` returns markdown for ``benchmarks.run_all``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import pandas as pd

from analysis import settings as settings_mod
from analysis.data import registry
from analysis.data.loader import load_bundled
from analysis.service import api, cache, disclosed
from analysis.stats import distributions
from analysis.stats.linear.dose_response import dose_response
from analysis.stats.linear.interactions import interaction
from analysis.stats.linear.subgroups import subgroup_effects
from analysis.stats.progression import progression_summary
from analysis.stats.table_one import table_one

QUERIES = {"all patients": "", "aged 72-90": "age=72-90"}
REPEAT = 5


def _best(fn: Callable[[], object], before: Callable[[], object] = lambda: None) -> float:
    best = float("inf")
    for _ in range(REPEAT):
        before()
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def _pairs(fp: str, q: str, rows: pd.DataFrame) -> dict[str, tuple[Callable, Callable]]:
    return {
        "selection": (lambda: api.selection(fp, q), lambda: None),
        "table_one": (lambda: api.table_one(fp, q), lambda: table_one(rows)),
        "progression": (lambda: api.progression(fp, q), lambda: progression_summary(
            rows, "delta_pav")),
        "histogram": (lambda: api.distribution(fp, q), lambda: distributions.histogram(
            rows, "delta_pav")),
        "subgroups": (lambda: api.subgroups(fp, q), lambda: subgroup_effects(
            rows, "delta_pav")),
        "dose_response": (lambda: api.dose_response(fp, q), lambda: dose_response(
            rows, "delta_pav")),
        "interaction": (lambda: api.interaction(fp, q), lambda: interaction(
            rows, "delta_pav", "ldl_intensive")),
    }


def run() -> pd.DataFrame:
    """One row per (selection, entry): off_ms, on_first_ms, on_hit_ms, bare_ms, ratio."""
    before = settings_mod.current()
    settings_mod.configure(dataclasses.replace(before, cache_type="SimpleCache"))
    cache.configure(settings_mod.current())
    fp = registry.register(load_bundled())
    off = dataclasses.replace(settings_mod.current(), suppress_k=0, round_base=1)
    on = dataclasses.replace(off, suppress_k=7, round_base=5)
    out = []
    try:
        for label, q in QUERIES.items():
            rows = api.filtered_frame(fp, q)
            for name, (entry, bare) in _pairs(fp, q, rows).items():
                settings_mod.configure(off)
                entry()  # fill the cache
                t_off = _best(entry)
                settings_mod.configure(on)
                t_first = _best(entry, before=disclosed.clear)
                t_hit = _best(entry)
                t_bare = _best(bare) if name != "selection" else float("nan")
                out.append({"selection": label, "entry": name, "off_ms": t_off,
                            "on_first_ms": t_first, "on_hit_ms": t_hit, "bare_ms": t_bare,
                            "ratio": (t_first - t_off) / t_bare})
    finally:
        settings_mod.configure(before)
    return pd.DataFrame(out)


def main() -> str:
    from benchmarks.run_all import markdown_table

    frame = run()
    text = markdown_table(frame, digits=2)
    print(text)
    return ("Disclosure control: cache hits with the rule off and on, beside the bare "
            "analysis (ratio = added time / bare time).\n\n" + text)


if __name__ == "__main__":
    main()
