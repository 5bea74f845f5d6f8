"""Command line of ``python app.py``: options override the environment's settings."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from analysis import settings as settings_mod
from analysis.service import cache as analysis_cache


def parse_settings(argv: Sequence[str] | None = None,
                   env: dict[str, str] | None = None) -> settings_mod.Settings:
    """Settings from the environment (:mod:`analysis.settings`), overridden by options."""
    p = argparse.ArgumentParser(prog="python app.py", description="IVUS study explorer (Dash app)")
    p.add_argument("--data", help="patient file (csv, xlsx, parquet, sav, dta, ...)")
    p.add_argument("--mapping", help="TOML column mapping for --data")
    p.add_argument("--sheet", help="Excel sheet name")
    p.add_argument("--lesions", help="lesion-level file")
    p.add_argument("--host", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 8050)")
    p.add_argument("--debug", action="store_true", default=None,
                   help="Dash debug mode with the Werkzeug debugger (developers only: make dev)")
    p.add_argument("--cache-type", choices=analysis_cache.CACHE_TYPES)
    p.add_argument("--cache-dir")
    p.add_argument("--cache-redis-url")
    p.add_argument("--min-group-n", type=int)
    p.add_argument("--small-n-warning", type=int)
    a = p.parse_args(argv)
    return settings_mod.from_env(env).with_overrides(
        data=a.data, mapping=a.mapping, sheet=a.sheet, lesions=a.lesions, host=a.host,
        port=a.port, debug=a.debug, cache_type=a.cache_type, cache_dir=a.cache_dir,
        cache_redis_url=a.cache_redis_url, min_group_n=a.min_group_n,
        small_n_warning=a.small_n_warning)


def configure(settings: settings_mod.Settings) -> settings_mod.Settings:
    """Put settings in force for the analysis layer, its cache and the registry."""
    from analysis.data import registry

    settings_mod.configure(settings)
    analysis_cache.configure(settings)
    registry.reset()
    return settings
