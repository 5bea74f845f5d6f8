"""analysis.progress: messages reach the reporter in force, and only it."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd

from analysis import progress


def test_report_without_a_reporter_does_nothing():
    progress.report("nobody listens")          # no error, nothing to receive it


def test_messages_reach_the_innermost_reporter_and_it_is_restored():
    outer: list[str] = []
    inner: list[str] = []
    with progress.reporting(outer.append):
        progress.report("a")
        with progress.reporting(inner.append):
            progress.report("b")
        progress.report("c")
    progress.report("d")
    assert outer == ["a", "c"] and inner == ["b"]


def test_a_failing_reporter_does_not_stop_the_computation():
    def broken(_msg):
        raise RuntimeError("the progress bar went away")

    with progress.reporting(broken):
        progress.report("still computing")      # no exception


def test_another_thread_does_not_get_this_threads_messages():
    got: list[str] = []
    seen_elsewhere: list[str] = []

    def elsewhere():
        with progress.reporting(seen_elsewhere.append):
            pass
        progress.report("from the other thread")

    with progress.reporting(got.append):
        t = threading.Thread(target=elsewhere)
        t.start()
        t.join()
    assert got == [] and seen_elsewhere == []


def test_multiple_imputation_reports_each_imputation():
    from analysis.stats.sensitivity import multiple_imputation

    rng = np.random.default_rng(7)
    n = 80
    data = pd.DataFrame({
        "calcification": np.tile(["none", "spotty"], n // 2),
        "delta_pav": rng.normal(0, 1, n),
        "pav_baseline": rng.normal(35, 5, n),
        "age": np.where(np.arange(n) % 7 == 0, np.nan, rng.normal(56, 8, n)),
    })
    messages: list[str] = []
    with progress.reporting(messages.append):
        multiple_imputation(data, "delta_pav", covar=["pav_baseline", "age"], m=3, seed=1)
    assert messages == [f"Multiple imputation: imputation {i} of 3" for i in (1, 2, 3)]
