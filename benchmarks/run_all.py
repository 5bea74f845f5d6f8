"""Run every ``benchmarks/bench_*.py`` and write a combined markdown summary.

Each module's ``main()`` is called in turn (alphabetical order, one process); it prints
its own tables, which are shown live and collected. A module whose ``main()`` returns a
string has that string (markdown) put in the summary; otherwise its printed output is
put there as a text block. A failing module is reported and the others still run.

Run: ``python -m benchmarks.run_all [--only NAME ...]`` (``make bench``). Output:
``benchmarks/results/latest.md`` (not committed).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "latest.md"


class _Tee(io.TextIOBase):
    """Writes to the terminal and keeps a copy."""

    def __init__(self, stream):
        self.stream, self.copy = stream, io.StringIO()

    def write(self, text: str) -> int:
        self.stream.write(text)
        self.copy.write(text)
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


def markdown_table(frame: pd.DataFrame, digits: int = 1) -> str:
    """A GitHub markdown table (no extra dependency); floats with ``digits`` decimals."""
    def cell(value) -> str:
        if isinstance(value, float):
            return f"{value:.{digits}f}"
        return str(value).replace("|", "\\|")

    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    body = ["| " + " | ".join(cell(v) for v in row) + " |"
            for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def modules(only: list[str] | None = None) -> list[str]:
    """Names of the benchmark modules (``bench_*.py``), optionally filtered."""
    names = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if only:
        names = [n for n in names if n in only or n.removeprefix("bench_") in only]
    return names


def run_module(name: str) -> tuple[str, float, bool]:
    """(markdown section, seconds, ok) of one module's ``main()``."""
    tee = _Tee(sys.stdout)
    argv, t0, ok = sys.argv, time.perf_counter(), True
    returned = None
    try:
        sys.argv = [name]
        with contextlib.redirect_stdout(tee):
            module = importlib.import_module(f"benchmarks.{name}")
            returned = module.main()
    except Exception:  # noqa: BLE001 - report and carry on with the others
        ok = False
        tee.write(traceback.format_exc())
    finally:
        sys.argv = argv
    seconds = time.perf_counter() - t0
    title = f"# {name} ({seconds:.0f} s{'' if ok else ', FAILED'})"
    if ok and isinstance(returned, str) and returned.strip():
        body = returned.strip()
    else:
        body = "```text\n" + tee.copy.getvalue().rstrip() + "\n```"
    return f"{title}\n\n{body}\n", seconds, ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run every benchmarks/bench_*.py module.")
    parser.add_argument("--only", nargs="*", help="module names (bench_x or x) to run")
    args = parser.parse_args(argv)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    sections, total, failed = [], 0.0, []
    for name in modules(args.only):
        print(f"\n=== {name} ===", flush=True)
        text, seconds, ok = run_module(name)
        sections.append(text)
        total += seconds
        if not ok:
            failed.append(name)
    header = (f"# Benchmark summary\n\nStarted {started}; total {total:.0f} s; Python "
              f"{platform.python_version()}, {os.cpu_count()} CPUs, {platform.platform()}.\n"
              + (f"\nFAILED: {', '.join(failed)}\n" if failed else ""))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(header + "\n" + "\n".join(sections), encoding="utf-8")
    print(f"\nSummary written to {RESULTS.relative_to(HERE.parent)} (total {total:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
