"""Speed and memory of the simulated-cohort generator.

For each cohort size (1,347 - the bundled cohort - then 100,000 and 1,000,000 patients)
it measures, in one run and side by side:

* ``simulate_cohort(n)`` wall time (median of a few runs; patients and lesions tables
  built, nothing written);
* the bare computation: drawing the generator's random numbers alone (``BARE_DRAWS``
  standard normals per patient from one NumPy generator), and the ratio of the two;
* the peak of the memory allocated while generating (``tracemalloc``, which sees NumPy
  and pandas buffers) and the size of the result.

The one-off population calibration of PAV change (``calibration.delta_constants``, a
200,000-patient draw, cached per parameter set) is timed once on its own and excluded
from the per-size times. Large cohorts are generated in memory only.

Run: ``python -m benchmarks.bench_simulate`` (prints a table; ``main()`` returns rows).
"""

from __future__ import annotations

import gc
import time
import tracemalloc

import numpy as np

from analysis.cohort.calibration import delta_constants
from analysis.cohort.params import PARAMS
from analysis.cohort.simulate import SEED, simulate_cohort

SIZES = (1347, 100_000, 1_000_000)
#: Random numbers the generator draws per patient (about 22 normal / uniform / Poisson
#: draws, counted in analysis/cohort/draw.py), drawn as normals for the bare floor.
BARE_DRAWS = 22


def _bare(n: int, repeat: int) -> float:
    """Median seconds to draw ``BARE_DRAWS x n`` standard normals (the floor)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        np.random.default_rng(SEED).standard_normal((BARE_DRAWS, n))
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def _calibration_seconds() -> float:
    """Seconds of the one-off calibration (cache cleared first, then left filled)."""
    delta_constants.cache_clear()
    t0 = time.perf_counter()
    delta_constants(PARAMS)
    return time.perf_counter() - t0


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
        ``n``, ``lesions``, ``seconds`` (median wall time), ``bare_seconds`` (the random
        numbers alone), ``ratio`` (seconds / bare_seconds), ``peak_mb`` (tracemalloc peak
        during generation), ``result_mb`` (deep memory of the two returned tables).
    """
    print(f"one-off PAV-change calibration: {_calibration_seconds():.3f} s")
    rows = []
    for n in sizes:
        repeat = 5 if n <= 100_000 else 2
        seconds, n_lesions = _time(n, repeat)
        bare = _bare(n, repeat)
        peak, size = _peak_mb(n)
        rows.append({"n": n, "lesions": n_lesions, "seconds": round(seconds, 3),
                     "bare_seconds": round(bare, 4), "ratio": round(seconds / bare, 1),
                     "peak_mb": round(peak, 1), "result_mb": round(size, 1)})
    print(f"{'n':>10} {'lesions':>10} {'seconds':>9} {'bare s':>8} {'ratio':>7} "
          f"{'peak MB':>9} {'result MB':>10}")
    for r in rows:
        print(f"{r['n']:>10,} {r['lesions']:>10,} {r['seconds']:>9.3f} {r['bare_seconds']:>8.4f} "
              f"{r['ratio']:>7.1f} {r['peak_mb']:>9.1f} {r['result_mb']:>10.1f}")
    return rows


if __name__ == "__main__":
    main()
