"""Speed and memory of the simulated-cohort generator.

For each cohort size (1,347 - the bundled cohort - then 100,000 and 1,000,000 patients)
it measures the wall time of ``simulate_cohort(n)`` (median of a few runs; patients and
lesions tables built, nothing written) and, in a separate run, the peak of the memory
allocated while generating (``tracemalloc``, which sees NumPy and pandas buffers).
Large cohorts are generated in memory only; nothing is written to disk.

Run: ``python -m benchmarks.bench_simulate`` (prints a table; ``main()`` returns rows).
"""

from __future__ import annotations

import gc
import time
import tracemalloc

import numpy as np

from analysis.cohort.simulate import SEED, simulate_cohort

SIZES = (1347, 100_000, 1_000_000)


def _time(n: int, repeat: int) -> tuple[float, int]:
    """Median seconds of ``repeat`` generations of ``n`` patients, and the lesion count."""
    times, n_lesions = [], 0
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        _, lesions = simulate_cohort(n, SEED)
        times.append(time.perf_counter() - t0)
        n_lesions = len(lesions)
        del lesions
    return float(np.median(times)), n_lesions


def _peak_mb(n: int) -> tuple[float, float]:
    """Peak traced memory while generating ``n`` patients, and the result size (MB)."""
    gc.collect()
    tracemalloc.start()
    patients, lesions = simulate_cohort(n, SEED)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = (patients.memory_usage(deep=True).sum() + lesions.memory_usage(deep=True).sum())
    return peak / 2**20, size / 2**20


def main(sizes: tuple[int, ...] = SIZES) -> list[dict]:
    """Measure each size; print and return one row per size.

    Returns
    -------
    list of dict
        ``n``, ``lesions``, ``seconds`` (median wall time), ``peak_mb`` (tracemalloc peak
        during generation), ``result_mb`` (deep memory of the two returned tables).
    """
    rows = []
    for n in sizes:
        repeat = 5 if n <= 100_000 else 2
        seconds, n_lesions = _time(n, repeat)
        peak, size = _peak_mb(n)
        rows.append({"n": n, "lesions": n_lesions, "seconds": round(seconds, 3),
                     "peak_mb": round(peak, 1), "result_mb": round(size, 1)})
    print(f"{'n':>10} {'lesions':>10} {'seconds':>9} {'peak MB':>9} {'result MB':>10}")
    for r in rows:
        print(f"{r['n']:>10,} {r['lesions']:>10,} {r['seconds']:>9.3f} {r['peak_mb']:>9.1f} "
              f"{r['result_mb']:>10.1f}")
    return rows


if __name__ == "__main__":
    main()
