"""Speed of the meeting kit and of server-side figure images, on the bundled cohort.

Side by side in one run:

* images: :func:`components.static_images.render` (caption band + kaleido server) per
  format, against the bare kaleido call on the same figure without the caption
  (``kaleido.calc_fig_sync``) and against ``fig.to_json()`` (what the browser gets);
* kit: ``build_view`` (results cached after the first call: the page's own numbers) and
  each format of :func:`reports.kit.build`, against the sum of its image renders;
* the Sensitivity section (:func:`sensitivity_rows`): what it adds to a cold
  ``build_view`` against the bare analyses on the frame (``sensitivity_table`` and
  ``propensity_weighted``), on the bundled cohort and on it with HDL-C missing for every
  9th patient (so multiple imputation runs), and what it adds to the deck (two pictures,
  two tables).

The first image of a process starts Chromium (several seconds): it is timed apart.

Run: ``python -m benchmarks.bench_kit`` (prints a table; ``main()`` returns it).
"""

from __future__ import annotations

import time
from functools import partial

import pandas as pd

LINKS = ("/comparison", "/therapy?ldl_cut=80&sbp_cut=130&age=45-75")
#: The larger simulated cohort the kit is also built for (results computed cold).
N_LARGE = 100_000


def _time(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def run() -> pd.DataFrame:
    """Rows: what, seconds, reference seconds, ratio."""
    import kaleido

    import analysis
    from analysis.data import registry
    from components import static_images
    from reports.kit import build
    from reports.view import build_view

    fp = registry.register(analysis.load_bundled())
    rows = []
    t = time.perf_counter()
    static_images.start()
    first = build_view(LINKS[0], fp).figures[0]
    static_images.render(first.figure, "png", footnote=first.footnote)
    rows.append(("first image of the process (starts Chromium)", time.perf_counter() - t,
                 float("nan")))
    for link in LINKS:
        view = build_view(link, fp)
        rows.append((f"build_view {link} (cached results)", _time(partial(build_view, link, fp)),
                     float("nan")))
        item = view.figures[0]
        for fmt in static_images.FORMATS:
            opts = {"format": fmt, "width": 1000, "height": 563,
                    "scale": static_images.PNG_SCALE if fmt == "png" else 1}
            ours = _time(partial(static_images.render, item.figure, fmt,
                                 footnote=item.footnote))
            bare = _time(partial(kaleido.calc_fig_sync, item.figure.to_dict(), opts=opts))
            rows.append((f"image {fmt} {item.key} vs bare kaleido", ours, bare))
        rows.append((f"figure JSON {item.key} (browser payload)",
                     _time(item.figure.to_json), float("nan")))
        images = len(view.figures)
        for fmt in ("pptx", "html", "zip"):
            seconds = _time(partial(build, link, fmt, fingerprint=fp), repeat=1)
            rows.append((f"kit {fmt} {link} ({images} figures)", seconds, float("nan")))
    rows += sensitivity_rows(fp)
    rows += _large_kits(build)
    static_images.stop()
    out = pd.DataFrame(rows, columns=["what", "seconds", "reference_s"])
    out["ratio"] = out["seconds"] / out["reference_s"]
    return out


def _incomplete_dataset():
    """The bundled cohort with HDL-C missing for every 9th patient (imputation runs)."""
    import tempfile
    from pathlib import Path

    from analysis.data.loader import load_dataset
    from analysis.settings import BUNDLED_COHORT

    raw = pd.read_csv(BUNDLED_COHORT, dtype=str, keep_default_na=False)
    raw.loc[raw.index % 9 == 0, "hdl_c"] = ""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cohort_missing_hdl.csv"
        raw.to_csv(path, index=False)
        return load_dataset(path)


def sensitivity_rows(fp: str) -> list[tuple[str, float, float]]:
    """Cost of the Sensitivity section (module docstring), cold cache each time."""
    import analysis
    from analysis.data import registry
    from analysis.service import api
    from reports.kit import build
    from reports.view import build_view

    rows = []
    for label, dataset_fp in (("bundled", fp),
                              ("HDL-C missing 1 in 9", registry.register(_incomplete_dataset()))):
        frame = registry.get(dataset_fp).frame

        def bare(frame=frame):
            analysis.sensitivity_table(frame, "delta_pav")
            analysis.propensity_weighted(frame, "delta_pav")

        def cold(flag, dataset_fp=dataset_fp):
            api.clear()
            t = time.perf_counter()
            build_view("/comparison", dataset_fp, sensitivity=flag)
            return time.perf_counter() - t

        extra = min(cold(True) - cold(False) for _ in range(2))
        rows.append((f"Sensitivity section in build_view ({label}), cold vs bare analyses",
                     extra, _time(bare, repeat=2)))
    with_s = _time(partial(build, "/comparison", "pptx", fingerprint=fp, sensitivity=True), 1)
    without = _time(partial(build, "/comparison", "pptx", fingerprint=fp, sensitivity=False), 1)
    rows.append(("kit pptx /comparison with vs without the Sensitivity section (warm)",
                 with_s, without))
    return rows


def _large_kits(build) -> list[tuple[str, float, float]]:
    """The kit of each view on a simulated cohort of :data:`N_LARGE` patients (cold cache)."""
    from analysis.data import registry
    from analysis.service import api
    from benchmarks.bench_analysis import simulated_dataset

    fp = registry.register(simulated_dataset(N_LARGE))
    rows = []
    for link in LINKS:
        for fmt in ("pptx", "html", "zip"):
            api.clear()
            t = time.perf_counter()
            build(link, fmt, fingerprint=fp)
            rows.append((f"kit {fmt} {link} at {N_LARGE:,} patients, cold",
                         time.perf_counter() - t, float("nan")))
    return rows


def main() -> str:
    table = run()
    text = table.to_markdown(index=False, floatfmt=".3f") if _has_tabulate() else \
        table.to_string(index=False, float_format=lambda v: f"{v:.3f}")
    print(text)
    return text


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
