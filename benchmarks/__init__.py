"""Benchmarks: scripts that measure (never assertions on wall time in tests).

``python -m benchmarks.run_all`` (``make bench``) runs every ``bench_*.py`` module's
``main()`` and writes ``benchmarks/results/latest.md``.
"""
