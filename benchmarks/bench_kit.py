"""Speed of the meeting kit and of server-side figure images, on the bundled cohort.

Side by side in one run:

* images: :func:`components.static_images.render` (caption band + kaleido server) per
  format, against the bare kaleido call on the same figure without the caption
  (``kaleido.calc_fig_sync``) and against ``fig.to_json()`` (what the browser gets);
* kit: ``build_view`` (results cached after the first call: the page's own numbers) and
  each format of :func:`reports.kit.build`, against the sum of its image renders.

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
    rows += _large_kits(build)
    static_images.stop()
    out = pd.DataFrame(rows, columns=["what", "seconds", "reference_s"])
    out["ratio"] = out["seconds"] / out["reference_s"]
    return out


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
