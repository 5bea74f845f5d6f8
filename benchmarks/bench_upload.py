"""Memory of streaming a large upload through the 'Open a study' route.

A file of ``--mb`` MB (default 200; written to ``benchmarks/out/`` in chunks, not
committed) is sent as the raw request body of ``POST /studies/upload`` (shell/upload.py
-> analysis/data/store.py) of a bare Flask server holding only that route, through
Werkzeug's test client with the file itself as the input stream (so the sender holds
no copy). Measured in a fresh process: ``peak_traced_mb``, the tracemalloc peak of
the request (Python allocations), and ``peak_rss_mb``, the process's peak resident
memory during the request (/proc VmHWM, reset just before) minus its resident memory
at the start. Side by side with the same for a bare loop copying the file in 1 MiB
chunks (``bare``). A bounded route has peaks near the chunk size (1 MiB), whatever
the file size.

Run: ``python -m benchmarks.bench_upload [--mb 200]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from benchmarks.bench_load import OUT, _rss_mb

CHUNK = 1 << 20


def _write(mb: int) -> Path:
    """A file of ``mb`` MB of CSV-like text, written chunk by chunk (kept for reuse)."""
    path = OUT / f"upload_{mb}mb.csv"
    if path.exists() and path.stat().st_size == mb * CHUNK:
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    line = b"P0000001,TRIAL-A,18.0,56.0,male,27.1,True,False,False,True,101.0\n"
    block = (line * (CHUNK // len(line) + 1))[:CHUNK]
    with path.open("wb") as fh:
        for _ in range(mb):
            fh.write(block)
    return path


def _bare(path: str, tmp: str):
    """The bare computation: copy the file in 1 MiB chunks."""
    def run() -> None:
        with open(path, "rb") as src, open(Path(tmp) / "copy", "wb") as out:
            while chunk := src.read(CHUNK):
                out.write(chunk)
    return run


def _route(path: str, tmp: str):
    """The upload through the route, set up (server, settings) before it is measured."""
    from flask import Flask

    from analysis import settings as settings_mod
    from shell import upload

    settings_mod.configure(settings_mod.current().with_overrides(
        study_dir=tmp, max_file_mb=100_000.0, auth="off"))
    server = Flask("bench_upload")
    upload.install(server)
    client = server.test_client()
    size = os.path.getsize(path)

    def post(stream, length: int):
        return client.post(f"{upload.ROUTE}?kind=patient", input_stream=stream,
                           content_length=length,
                           headers={"X-Explorer-Upload": "1", "X-Filename": "big.csv",
                                    "Content-Type": "application/octet-stream"})

    import io
    post(io.BytesIO(b"warm-up"), 7)   # first-request imports are not the upload's memory

    def run() -> None:
        with open(path, "rb") as body:
            answer = post(body, size)
        if answer.status_code != 200 or answer.get_json()["size"] != size:
            raise RuntimeError(f"upload refused: {answer.status_code} {answer.get_json()}")
    return run


def _reset_peak() -> None:
    """Start the peak resident memory (VmHWM) afresh, so set-up is not counted."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _measure(which: str, path: str) -> dict:
    """Runs in a fresh process: peak memory of one upload (or the bare copy)."""
    with tempfile.TemporaryDirectory() as tmp:
        run = (_route if which == "route" else _bare)(path, tmp)
        _reset_peak()
        base = _rss_mb("VmRSS")
        tracemalloc.start()
        t0 = time.perf_counter()
        run()
        seconds = time.perf_counter() - t0
        _cur, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return {"case": which, "seconds": seconds, "peak_traced_mb": peak / 2**20,
                "peak_rss_mb": _rss_mb() - base}


def main(argv: list[str] | None = None) -> list[dict]:
    """Measure and print; one dict per case (``case``, ``seconds``, peaks in MB)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_upload")
    parser.add_argument("--mb", type=int, default=200)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    path = _write(args.mb)
    results = []
    for which in ("bare", "route"):
        ctx = get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx, max_tasks_per_child=1) as pool:
            results.append(pool.submit(_measure, which, str(path)).result())
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"upload of {args.mb} MB ({path.stat().st_size / 1e6:,.0f} MB); load average {load:.2f}")
    head = f"{'case':<8} {'seconds':>8} {'traced peak MB':>15} {'RSS peak MB':>12}"
    print(head)
    print("-" * len(head))
    for r in results:
        print(f"{r['case']:<8} {r['seconds']:>8.2f} {r['peak_traced_mb']:>15.1f} "
              f"{r['peak_rss_mb']:>12.1f}")
    print("bare = copying the file in 1 MiB chunks; route = POST /studies/upload into the "
          "file store (hash + write).")
    return results


if __name__ == "__main__":
    main()
