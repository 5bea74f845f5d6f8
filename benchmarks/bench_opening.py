"""Speed of the 'Open a study' wizard: the file summary and the live report per edit.

An investigator-style CSV of N simulated patients (default 100,000: upper-case column
names, sex 1/2, yes/no as Y/N, lipids in mmol/L; ``benchmarks.bench_load._mapped``) is
stored in a :class:`~analysis.data.store.FileStore` under a temporary study folder,
with an in-process cache (``SimpleCache``), as the /open page's callbacks see it:

* ``summarize`` - once per uploaded file: read, profile every column, suggest a mapping;
* ``check`` - on every edit of the wizard: the validation report of the mapping as it
  now stands. The edits replayed, in order, from an empty cache: the suggested
  mapping; one column unmapped by hand (CRP); a code table changed (sex); a unit
  changed (LDL-C back to mg/dl); back to the suggestion with one code added (each a
  new mapping, so a miss of the shared cache; the raw cells may be kept between edits).

Each is timed in the same process right after a bare ``pandas.read_csv`` of the same
file, and reported with the ratio to it; the goal is a live report under 1 s at
100,000 rows. Files go to ``benchmarks/out/`` (not committed).

Run: ``python -m benchmarks.bench_opening [--rows N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from benchmarks.bench_load import OUT, _mapped


def _write(rows: int) -> Path:
    """The investigator-style CSV of ``rows`` simulated patients (kept for reuse)."""
    from analysis.cohort.simulate import simulate_cohort

    path = OUT / f"wizard_{rows}.csv"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        _mapped(simulate_cohort(rows)[0])[0].to_csv(path, index=False)
    return path


def _edits(suggestion: dict) -> list[tuple[str, dict]]:
    """The wizard edits replayed, each a full mapping as the page sends it."""
    out = [("suggested mapping", suggestion)]
    by_hand = copy.deepcopy(suggestion)
    by_hand.setdefault("columns", {}).pop("crp", None)
    out.append(("CRP column unmapped by hand", by_hand))
    codes = copy.deepcopy(by_hand)
    codes.setdefault("codes", {})["sex"] = {"1": "female", "2": "male"}
    out.append(("sex codes edited", codes))
    units = copy.deepcopy(codes)
    units.setdefault("units", {}).pop("ldl_c", None)
    out.append(("LDL-C unit edited", units))
    back = copy.deepcopy(suggestion)
    back.setdefault("codes", {})["sex"] = {"1": "male", "2": "female", "9": "female"}
    out.append(("one code added", back))
    return out


def _best(fn, repeat: int) -> tuple[float, object]:
    best, value = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t0)
    return best, value


def measure(rows: int, repeat: int) -> list[dict]:
    """Time summarize and each edit's check; one dict per step, best of ``repeat``.

    Each repetition replays the whole session from an empty cache (shared cache and
    the process-local kept reads), as a new upload starts: the summary, then the
    edits in order, each a new mapping (a cache miss of ``check``).
    """
    from analysis import settings as settings_mod
    from analysis.data import registry
    from analysis.service import cache, opening

    path = _write(rows)
    with tempfile.TemporaryDirectory() as tmp:
        cache.configure(settings_mod.configure(settings_mod.current().with_overrides(
            study_dir=tmp, cache_type="SimpleCache", max_file_mb=1e6)))
        with path.open("rb") as fh:
            digest = registry.study_store()[1].save(fh, path.name).digest
        bare_s, _ = _best(lambda: pd.read_csv(path), repeat)
        best: dict[str, dict] = {}
        for _ in range(repeat):
            cache.clear()
            t0 = time.perf_counter()
            summ = opening.summarize(digest, None)
            steps = [("summarize (once per file)", time.perf_counter() - t0,
                      {"issues": len(summ.read_issues)})]
            for label, mapping in _edits(summ.suggestion):
                t0 = time.perf_counter()
                report = opening.check(digest, None, opening.mapping_json(mapping), None)
                steps.append((f"check: {label}", time.perf_counter() - t0,
                              {"issues": len(report.issues), "errors": len(report.errors)}))
            for step, seconds, extra in steps:
                if step not in best or seconds < best[step]["seconds"]:
                    best[step] = {"step": step, "seconds": seconds, "bare_s": bare_s, **extra}
    return list(best.values())


def main(argv: list[str] | None = None) -> list[dict]:
    """Measure and print; returns one dict per step (``step``, ``seconds``, ``bare_s``...)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_opening")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of R runs per step")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    results = measure(args.rows, args.repeat)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{args.rows:,} rows; best of {args.repeat}; load average {load:.2f}")
    head = f"{'step':<36} {'seconds':>8} {'bare s':>7} {'ratio':>6} {'issues':>6} {'errors':>6}"
    print(head)
    print("-" * len(head))
    for r in results:
        print(f"{r['step']:<36} {r['seconds']:>8.3f} {r['bare_s']:>7.3f} "
              f"{r['seconds'] / r['bare_s']:>6.2f} {r['issues']:>6} {r.get('errors', '-'):>6}")
    print("ratio = seconds / bare s (a bare pandas.read_csv of the same file, same process).")
    return results


if __name__ == "__main__":
    main()
