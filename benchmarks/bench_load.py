"""Speed and memory of loading and validating patient files.

Measures the bundled cohort, then N simulated patients (default 1,000,000, from
``analysis.cohort.simulate.simulate_cohort``) written in each format: CSV, TSV, a mapped CSV
(renamed columns, sex 1/2, Y/N, lipids in mmol/L), Parquet, SAS XPORT (v8), Stata,
SPSS, and Excel (capped at ``--excel-rows``, since writing and reading .xlsx with
openpyxl is far slower and a sheet holds at most 1,048,576 rows). SAS .sas7bdat is
not measured: nothing in the stack can write one.

Each file is loaded in a fresh process (so memory figures do not mix):
``bare_s`` is the bare pandas reader of the same file (``read_csv`` for text,
``read_parquet``, ``read_excel``; none for SAS, Stata and SPSS), timed in the same
process just before, after one untimed read (the first read of a fresh process is
slowed by growing its heap and starting the parser's threads); ``read_s`` is reading raw cells
(``analysis.data.readers.read_raw``, with every record counted and checked), ``load_s``
the full ``load_dataset`` (read + checks + map + validate + derive + fingerprint),
``ratio`` = ``load_s / bare_s`` (the target for a 1,000,000-row CSV is at most 2),
``validate_s`` = ``load_s - read_s``, ``peak_mb`` the peak resident memory of the
process during the loads minus its resident memory just before (after imports;
/proc VmHWM - VmRSS). Files go to ``benchmarks/out/`` (not committed).

With ``--repeat R`` each file is measured R times and each figure is its best (the
ratio then from the best load and the best bare read).

Run: ``python -m benchmarks.bench_load [--rows N] [--excel-rows M] [--formats csv parquet ...]
[--repeat R] [--reuse]``.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pandas as pd

OUT = Path(__file__).resolve().parent / "out"
FORMATS = ("csv", "tsv", "mapped_csv", "parquet", "xpt", "dta", "sav", "xlsx")
EXT = {"csv": ".csv", "tsv": ".tsv", "mapped_csv": ".csv", "parquet": ".parquet",
       "xpt": ".xpt", "dta": ".dta", "sav": ".sav", "xlsx": ".xlsx"}
LIPIDS = {"ldl_c_baseline": 38.67, "ldl_c": 38.67, "hdl_c": 38.67, "triglycerides": 88.57}


def _rss_mb(field: str = "VmHWM") -> float:
    """Peak (VmHWM) or current (VmRSS) resident memory of this process in MB.

    Read from /proc (reset at exec, unlike ru_maxrss, which a spawned child inherits
    from its parent); ru_maxrss where /proc is missing.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _bare_reader(path: str):
    """The bare pandas reader of a file's format (None where there is none to compare)."""
    if path.endswith((".csv", ".tsv")):
        return lambda p: pd.read_csv(p, sep="\t" if p.endswith(".tsv") else ",")
    if path.endswith(".parquet"):
        return pd.read_parquet
    if path.endswith(".xlsx"):
        return pd.read_excel
    return None


def _measure(path: str, mapping: dict | None, bundled: bool) -> dict:
    """Runs in a fresh process: time read_raw and load_dataset, and peak memory."""
    import pyarrow  # noqa: F401 - imported before the baseline, like the other readers
    import pyreadstat  # noqa: F401

    from analysis.data.loader import load_bundled, load_dataset, read_options
    from analysis.data.mapping import as_mapping
    from analysis.data.readers import read_raw

    gc.collect()
    base = _rss_mb("VmRSS")
    bare_s = None
    bare_read = _bare_reader(path)
    if bare_read is not None:
        # an untimed read first: the first read of a fresh process also pays for its
        # heap and threads, which would flatter the ratio (1.8 s instead of 0.5 s at 1M)
        bare_read(path)
        gc.collect()
        t0 = time.perf_counter()
        bare = bare_read(path)
        bare_s = time.perf_counter() - t0
        del bare
        gc.collect()
    t0 = time.perf_counter()
    raw = read_raw(path, max_file_mb=1e9, options=read_options(as_mapping(mapping)))
    read_s = time.perf_counter() - t0
    del raw
    gc.collect()
    t0 = time.perf_counter()
    ds = load_bundled() if bundled else load_dataset(path, mapping, max_file_mb=1e9)
    load_s = time.perf_counter() - t0
    return {"rows": ds.provenance.rows, "read_s": read_s, "load_s": load_s, "bare_s": bare_s,
            "ratio": load_s / bare_s if bare_s else None,
            "validate_s": max(load_s - read_s, 0.0), "peak_mb": _rss_mb() - base,
            "warnings": len(ds.report.warnings)}


def _stat_frame(patients: pd.DataFrame) -> pd.DataFrame:
    """Columns SAS/Stata/SPSS writers accept: numbers as float, the rest as text."""
    out = {}
    for col in patients.columns:
        s = patients[col]
        if pd.api.types.is_bool_dtype(s.dtype) or str(s.dtype) in ("boolean", "Int64"):
            out[col] = s.astype("Float64").astype("float64")
        elif pd.api.types.is_numeric_dtype(s.dtype):
            out[col] = s.astype("float64")
        else:
            out[col] = s.astype(object).where(s.notna(), "")
    return pd.DataFrame(out)


def _mapped(patients: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The investigator-style copy: upper-case names, sex 1/2, Y/N, lipids in mmol/L."""
    out = {}
    for col in patients.columns:
        s = patients[col]
        if col == "sex":
            s = s.astype(object).map({"male": 1, "female": 2})
        elif str(s.dtype) == "boolean":
            s = s.astype(object).map({True: "Y", False: "N"})
        elif col in LIPIDS:
            s = s / LIPIDS[col]
        out[col.upper()] = s
    mapping = {"columns": {c: c.upper() for c in patients.columns},
               "codes": {"sex": {"1": "male", "2": "female"}},
               "units": {c: "mmol/L" for c in LIPIDS if c in patients.columns}}
    return pd.DataFrame(out), mapping


def write_files(n: int, excel_rows: int, formats: tuple[str, ...], reuse: bool = False
                ) -> dict[str, tuple[Path, dict | None, int]]:
    """Generate ``n`` patients and write one file per format; returns path, mapping, rows.

    With ``reuse``, a file already written (same name) is kept as it is.
    """
    import pyreadstat

    from analysis.cohort.simulate import MIN_N, simulate_cohort

    OUT.mkdir(parents=True, exist_ok=True)
    patients = None
    files: dict[str, tuple[Path, dict | None, int]] = {}
    for fmt in formats:
        rows = min(n, excel_rows) if fmt == "xlsx" else n
        path = OUT / f"cohort_{rows}{'_mapped' if fmt == 'mapped_csv' else ''}{EXT[fmt]}"
        mapping = None
        if reuse and path.exists():
            if fmt == "mapped_csv":
                mapping = _mapped(simulate_cohort(MIN_N)[0])[1]
            files[fmt] = (path, mapping, rows)
            continue
        if patients is None:
            patients, _ = simulate_cohort(n)
        frame = patients if rows == n else patients.iloc[:rows]
        if fmt == "csv":
            frame.to_csv(path, index=False)
        elif fmt == "tsv":
            frame.to_csv(path, index=False, sep="\t")
        elif fmt == "mapped_csv":
            mapped, mapping = _mapped(frame)
            mapped.to_csv(path, index=False)
        elif fmt == "parquet":
            frame.to_parquet(path, index=False)
        elif fmt == "xpt":
            pyreadstat.write_xport(_stat_frame(frame), str(path), file_format_version=8)
        elif fmt == "dta":
            pyreadstat.write_dta(_stat_frame(frame), str(path))
        elif fmt == "sav":
            pyreadstat.write_sav(_stat_frame(frame), str(path))
        elif fmt == "xlsx":
            frame.astype(object).where(frame.notna(), None).to_excel(path, index=False)
        files[fmt] = (path, mapping, rows)
    return files


def _run(path: Path, mapping: dict | None, bundled: bool = False, repeat: int = 1) -> dict:
    """``_measure`` in a fresh process, ``repeat`` times: each time its best (a busy
    machine only ever slows a run down), the ratio from the best load and best bare."""
    best: dict = {}
    for _ in range(repeat):
        ctx = get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx, max_tasks_per_child=1) as pool:
            m = pool.submit(_measure, str(path), mapping, bundled).result()
        for key, value in m.items():
            if key not in best or (isinstance(value, float) and best[key] is not None
                                   and value < best[key]):
                best[key] = value
    if best.get("bare_s"):
        best["ratio"] = best["load_s"] / best["bare_s"]
    best["validate_s"] = max(best["load_s"] - best["read_s"], 0.0)
    return best


def print_table(rows: list[dict]) -> None:
    head = (f"{'case':<22} {'rows':>10} {'file MB':>8} {'bare s':>7} {'read s':>8} "
            f"{'valid. s':>8} {'load s':>8} {'ratio':>6} {'rows/s':>10} {'peak MB':>8}")
    print(head)
    print("-" * len(head))
    for r in rows:
        bare = f"{r['bare_s']:>7.2f}" if r.get("bare_s") else f"{'-':>7}"
        ratio = f"{r['ratio']:>6.2f}" if r.get("ratio") else f"{'-':>6}"
        print(f"{r['case']:<22} {r['rows']:>10,} {r['file_mb']:>8.1f} {bare} {r['read_s']:>8.2f} "
              f"{r['validate_s']:>8.2f} {r['load_s']:>8.2f} {ratio} {r['rows_per_s']:>10,.0f} "
              f"{r['peak_mb']:>8.0f}")
    print("ratio = load s / bare s: the full checked load against the bare pandas reader "
          "(read_csv, read_parquet, read_excel) of the same file in the same process; load "
          f"average {os.getloadavg()[0]:.2f}.")


def main(argv: list[str] | None = None) -> list[dict]:
    """Measure and print; returns one dict per case.

    Keys: ``case``, ``format``, ``rows``, ``file_mb``, ``bare_s``, ``read_s``,
    ``validate_s``, ``load_s``, ``ratio``, ``rows_per_s``, ``peak_mb``, ``warnings``.
    """
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_load")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--excel-rows", type=int, default=50_000)
    parser.add_argument("--formats", nargs="*", default=list(FORMATS), choices=FORMATS)
    parser.add_argument("--repeat", type=int, default=1,
                        help="measure each file R times (fresh processes), keep the best")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse files already in benchmarks/out/ instead of writing them")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    from analysis.settings import BUNDLED_COHORT

    results: list[dict] = []

    def record(case: str, fmt: str, path: Path, m: dict) -> None:
        results.append({"case": case, "format": fmt, "file_mb": path.stat().st_size / 1e6,
                        "rows_per_s": m["rows"] / m["load_s"] if m["load_s"] else 0.0, **m})

    if BUNDLED_COHORT.exists():
        record("bundled cohort", "csv", BUNDLED_COHORT, _run(BUNDLED_COHORT, None, True,
                                                                      args.repeat))
    t0 = time.perf_counter()
    files = write_files(args.rows, args.excel_rows, tuple(args.formats), reuse=args.reuse)
    print(f"generated and wrote {len(files)} files in {time.perf_counter() - t0:.0f} s "
          f"under {OUT}")
    for fmt, (path, mapping, _rows) in files.items():
        record(fmt, fmt, path, _run(path, mapping, repeat=args.repeat))
    print_table(results)
    return results


if __name__ == "__main__":
    main()
