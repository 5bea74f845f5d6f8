"""Settings in one place: environment variables with defaults.

``app.py`` overrides them from its command-line options. Nothing else reads the
environment. Names (all optional):

=========================  ===========================================  =====================
variable                   meaning                                      default
=========================  ===========================================  =====================
EXPLORER_DATA              patient file to open                         bundled simulated cohort
EXPLORER_MAPPING           TOML column mapping for that file            none
EXPLORER_SHEET             Excel sheet name                             first sheet
EXPLORER_LESIONS           optional lesion-level file                   none
EXPLORER_HOST              address to bind                              127.0.0.1
EXPLORER_PORT              port                                         8050
EXPLORER_DEBUG             Dash debug mode (1/0)                        0
EXPLORER_MAX_FILE_MB       largest file accepted                        500
EXPLORER_MIN_GROUP_N       smallest group a model is fitted on          10
EXPLORER_SMALL_N_WARNING   show a small-n warning below this n          30
CACHE_TYPE                 SimpleCache, FileSystemCache or RedisCache   FileSystemCache
CACHE_DIR                  FileSystemCache folder                       .cache/analysis
CACHE_REDIS_URL            RedisCache URL                               redis://127.0.0.1:6379/0
CACHE_DEFAULT_TIMEOUT      seconds an entry lives (0 = forever)         0
EXPLORER_CSV_BOM           CSV downloads start with a UTF-8 BOM (1/0)   1
=========================  ===========================================  =====================
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
BUNDLED_COHORT = DATA_DIR / "simulated_cohort.csv"
BUNDLED_LESIONS = DATA_DIR / "simulated_lesions.csv"


def _bool(text: str) -> bool:
    return text.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    data: str | None = None
    mapping: str | None = None
    sheet: str | None = None
    lesions: str | None = None
    host: str = "127.0.0.1"
    port: int = 8050
    debug: bool = False
    max_file_mb: float = 500.0
    min_group_n: int = 10
    small_n_warning: int = 30
    cache_type: str = "FileSystemCache"
    cache_dir: str = str(ROOT / ".cache" / "analysis")
    cache_redis_url: str = "redis://127.0.0.1:6379/0"
    cache_timeout: int = 0
    #: CSV downloads start with a UTF-8 byte-order mark, so Excel on Windows reads "±".
    csv_bom: bool = True

    def with_overrides(self, **changes) -> Settings:
        """A copy with the non-None values of ``changes`` applied."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def from_env(env: dict[str, str] | None = None) -> Settings:
    """Settings from environment variables (``os.environ`` unless given)."""
    env = os.environ if env is None else env
    d = Settings()
    return Settings(
        data=env.get("EXPLORER_DATA") or None,
        mapping=env.get("EXPLORER_MAPPING") or None,
        sheet=env.get("EXPLORER_SHEET") or None,
        lesions=env.get("EXPLORER_LESIONS") or None,
        host=env.get("EXPLORER_HOST", d.host),
        port=int(env.get("EXPLORER_PORT", d.port)),
        debug=_bool(env.get("EXPLORER_DEBUG", "0")),
        max_file_mb=float(env.get("EXPLORER_MAX_FILE_MB", d.max_file_mb)),
        min_group_n=int(env.get("EXPLORER_MIN_GROUP_N", d.min_group_n)),
        small_n_warning=int(env.get("EXPLORER_SMALL_N_WARNING", d.small_n_warning)),
        cache_type=env.get("CACHE_TYPE", d.cache_type),
        cache_dir=env.get("CACHE_DIR", d.cache_dir),
        cache_redis_url=env.get("CACHE_REDIS_URL", d.cache_redis_url),
        cache_timeout=int(env.get("CACHE_DEFAULT_TIMEOUT", d.cache_timeout)),
        csv_bom=_bool(env.get("EXPLORER_CSV_BOM", "1")),
    )


_current: Settings | None = None


def current() -> Settings:
    """The settings in force (from the environment until ``configure`` is called)."""
    global _current
    if _current is None:
        _current = from_env()
    return _current


def configure(settings: Settings) -> Settings:
    """Make ``settings`` the ones in force (app start-up, tests)."""
    global _current
    _current = settings
    return settings
