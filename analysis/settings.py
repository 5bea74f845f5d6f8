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
EXPLORER_MAX_UNZIPPED_MB   largest uncompressed .xlsx (zip) content     1000
EXPLORER_MAX_ROWS          most data rows in a file or sheet            5000000
EXPLORER_MAX_COLUMNS       most columns in a file or sheet              2000
EXPLORER_MAX_LINE_KB       longest line of a text file (KB)             256
EXPLORER_MIN_GROUP_N       smallest group a model is fitted on          10
EXPLORER_SMALL_N_WARNING   show a small-n warning below this n          30
EXPLORER_STUDY_DIR         where studies opened in the browser are kept .cache/studies
EXPLORER_RETENTION_DAYS    days an opened study's files are kept        30 (0 = forever)
CACHE_TYPE                 SimpleCache, FileSystemCache or RedisCache   FileSystemCache
CACHE_DIR                  FileSystemCache folder                       .cache/analysis
CACHE_REDIS_URL            RedisCache URL                               redis://127.0.0.1:6379/0
CACHE_DEFAULT_TIMEOUT      seconds an entry lives (0 = forever)         0
EXPLORER_CSV_BOM           CSV downloads start with a UTF-8 BOM (1/0)   1
EXPLORER_PS_TRIM           % of propensity weights truncated per tail   1 (1st/99th centiles)
EXPLORER_MI_IMPUTATIONS    imputations of the multiple imputation       20
EXPLORER_MI_SEED           seed of the multiple imputation              20120501
EXPLORER_AUTH              login: required or off                       required unless the
                                                                        host is loopback
EXPLORER_ACCOUNTS          accounts file (password hashes, roles)       .cache/accounts.json
EXPLORER_AUDIT_LOG         append-only audit log (JSON lines)           .cache/audit.log
EXPLORER_SECRET_KEY        secret for session cookies and cache HMAC    generated into
                                                                        .cache/secret_key
EXPLORER_SECRET_KEY_FILE   where the generated secret is kept (0600)    .cache/secret_key
EXPLORER_HTTPS             served over HTTPS (Secure cookie, HSTS)      0
EXPLORER_MAX_REQUEST_KB    largest request body accepted                1024
EXPLORER_LOGIN_ATTEMPTS    failed logins per username+IP per window     5
EXPLORER_LOGIN_WINDOW_S    that window, in seconds                      900
EXPLORER_SUPPRESS_K        counts 1..k shown as "≤k", summaries of      0 (off; 7 is the
                           groups of n ≤ k withheld (disclosure)        OpenSAFELY choice)
EXPLORER_ROUND_BASE        shown counts rounded to this base            1 (none; 5 suggested)
EXPLORER_JOBS              background jobs: diskcache or celery         celery when
                                                                        CELERY_BROKER_URL is
                                                                        set, else diskcache
CELERY_BROKER_URL          Celery broker and result store (Redis)       CACHE_REDIS_URL, db 1
EXPLORER_BACKGROUND_ROWS   cohorts above this run page analyses as      100000
                           background jobs
EXPLORER_RATE_PER_MIN      callback requests per user per minute        600 (0 = no limit)
=========================  ===========================================  =====================
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

from analysis.errors import ExplorerError

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = ROOT / ".cache"
DATA_DIR = ROOT / "data"
BUNDLED_COHORT = DATA_DIR / "simulated_cohort.csv"
BUNDLED_LESIONS = DATA_DIR / "simulated_lesions.csv"
STATE_DIR = ROOT / ".cache"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
AUTH_CHOICES = ("required", "off")


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
    max_unzipped_mb: float = 1000.0
    max_rows: int = 5_000_000
    max_columns: int = 2000
    max_line_kb: float = 256.0
    min_group_n: int = 10
    small_n_warning: int = 30
    study_dir: str = str(STATE_DIR / "studies")
    retention_days: float = 30.0
    cache_type: str = "FileSystemCache"
    cache_dir: str = str(ROOT / ".cache" / "analysis")
    cache_redis_url: str = "redis://127.0.0.1:6379/0"
    cache_timeout: int = 0
    #: CSV downloads start with a UTF-8 byte-order mark, so Excel on Windows reads "±".
    csv_bom: bool = True
    ps_trim: float = 1.0
    mi_imputations: int = 20
    mi_seed: int = 20120501
    auth: str = ""  # "" = decided by the host (see auth_required)
    accounts_file: str = str(STATE_DIR / "accounts.json")
    audit_log: str = str(STATE_DIR / "audit.log")
    secret_key: str | None = None
    secret_key_file: str = str(STATE_DIR / "secret_key")
    https: bool = False
    max_request_kb: int = 1024
    login_attempts: int = 5
    login_window_s: int = 900
    #: Disclosure control (analysis.disclosure): counts 1..k suppressed; 0 = off.
    suppress_k: int = 0
    #: Shown counts rounded to the nearest multiple of this base; 1 = no rounding.
    round_base: int = 1
    jobs: str = ""  # "" = celery when celery_broker_url is set, else diskcache
    celery_broker_url: str = ""
    background_rows: int = 100_000
    rate_per_min: int = 600

    def auth_required(self) -> bool:
        """Whether a login is required: EXPLORER_AUTH, else any non-loopback host."""
        if self.auth:
            return self.auth == "required"
        return self.host not in LOOPBACK_HOSTS

    def jobs_backend(self) -> str:
        """Where background callbacks run: ``"celery"`` or ``"diskcache"``."""
        if self.jobs:
            return self.jobs
        return "celery" if self.celery_broker_url else "diskcache"

    def celery_url(self) -> str:
        """The Celery broker (and result store): CELERY_BROKER_URL, else the cache's
        Redis (same password) on a database of its own (1)."""
        if self.celery_broker_url:
            return self.celery_broker_url
        head, sep, db = self.cache_redis_url.rpartition("/")
        if sep and head.count("/") >= 2 and (db.isdigit() or db == ""):
            return f"{head}/1"
        return self.cache_redis_url.rstrip("/") + "/1"

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
        max_unzipped_mb=float(env.get("EXPLORER_MAX_UNZIPPED_MB", d.max_unzipped_mb)),
        max_rows=int(env.get("EXPLORER_MAX_ROWS", d.max_rows)),
        max_columns=int(env.get("EXPLORER_MAX_COLUMNS", d.max_columns)),
        max_line_kb=float(env.get("EXPLORER_MAX_LINE_KB", d.max_line_kb)),
        min_group_n=int(env.get("EXPLORER_MIN_GROUP_N", d.min_group_n)),
        small_n_warning=int(env.get("EXPLORER_SMALL_N_WARNING", d.small_n_warning)),
        study_dir=env.get("EXPLORER_STUDY_DIR") or d.study_dir,
        retention_days=float(env.get("EXPLORER_RETENTION_DAYS", d.retention_days)),
        cache_type=env.get("CACHE_TYPE", d.cache_type),
        cache_dir=env.get("CACHE_DIR", d.cache_dir),
        cache_redis_url=env.get("CACHE_REDIS_URL", d.cache_redis_url),
        cache_timeout=int(env.get("CACHE_DEFAULT_TIMEOUT", d.cache_timeout)),
        csv_bom=_bool(env.get("EXPLORER_CSV_BOM", "1")),
        ps_trim=float(env.get("EXPLORER_PS_TRIM", d.ps_trim)),
        mi_imputations=int(env.get("EXPLORER_MI_IMPUTATIONS", d.mi_imputations)),
        mi_seed=int(env.get("EXPLORER_MI_SEED", d.mi_seed)),
        auth=_choice("EXPLORER_AUTH", env.get("EXPLORER_AUTH", ""), AUTH_CHOICES,
                     "login is then required whenever the host is not a loopback address"),
        accounts_file=env.get("EXPLORER_ACCOUNTS") or d.accounts_file,
        audit_log=env.get("EXPLORER_AUDIT_LOG") or d.audit_log,
        secret_key=env.get("EXPLORER_SECRET_KEY") or None,
        secret_key_file=env.get("EXPLORER_SECRET_KEY_FILE") or d.secret_key_file,
        https=_bool(env.get("EXPLORER_HTTPS", "0")),
        max_request_kb=_whole(env, "EXPLORER_MAX_REQUEST_KB", d.max_request_kb, 1),
        login_attempts=_whole(env, "EXPLORER_LOGIN_ATTEMPTS", d.login_attempts, 1),
        login_window_s=_whole(env, "EXPLORER_LOGIN_WINDOW_S", d.login_window_s, 1),
        suppress_k=_whole(env, "EXPLORER_SUPPRESS_K", d.suppress_k, 0,
                          "0 turns suppression off; 7 is the OpenSAFELY choice"),
        round_base=_whole(env, "EXPLORER_ROUND_BASE", d.round_base, 1,
                          "1 leaves counts as they are; 5 is the usual base"),
        jobs=_choice("EXPLORER_JOBS", env.get("EXPLORER_JOBS", ""), JOBS_CHOICES,
                     "celery when CELERY_BROKER_URL is set, else diskcache"),
        celery_broker_url=env.get("CELERY_BROKER_URL", ""),
        background_rows=_whole(env, "EXPLORER_BACKGROUND_ROWS", d.background_rows, 1),
        rate_per_min=_whole(env, "EXPLORER_RATE_PER_MIN", d.rate_per_min, 0),
    )


def _whole(env, name: str, default: int, lowest: int, hint: str = "") -> int:
    """A whole-number setting of at least ``lowest`` (ExplorerError saying so if not);
    unset or blank gives ``default``."""
    text = env.get(name)
    if text is None or text.strip() == "":
        return default
    try:
        value = int(text.strip())
    except ValueError:
        value = lowest - 1
    if value < lowest:
        if hint:
            need = f" of at least {lowest} ({hint})"
        else:
            need = ", 0 or above" if lowest == 0 else f" above {lowest - 1}"
        raise ExplorerError(f"{name}={text!r} must be a whole number{need}")
    return value


JOBS_CHOICES = ("diskcache", "celery")


def _choice(name: str, text: str, choices: tuple[str, ...], unset: str) -> str:
    """A setting that is one of ``choices`` (any case) or unset (``""``); ``unset`` says
    what leaving it unset means."""
    value = text.strip().lower()
    if value and value not in choices:
        raise ExplorerError(f"{name}={text!r} is not understood; set it to "
                            f"{' or '.join(choices)} (or leave it unset: {unset})")
    return value


def secret_bytes(settings: Settings | None = None) -> bytes:
    """The server secret: EXPLORER_SECRET_KEY, else a random one kept in a 0600 file.

    The file (``secret_key_file``) is created on first use with 32 random bytes (hex),
    readable by its owner only, so every worker of one machine shares it and a restart
    keeps sessions and cache entries valid.
    """
    settings = settings or current()
    if settings.secret_key:
        return settings.secret_key.encode()
    path = Path(settings.secret_key_file)
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker wrote it first
        return path.read_bytes().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32))
    return path.read_bytes().strip()


#: Settings that never change a result or what a page shows (where and how the app is
#: served). Every other setting is part of every analysis cache key and page key
#: (:func:`results_digest`), so a restart with another value, or two servers sharing one
#: Redis, never reuse what was computed under the old one.
SERVER_ONLY = frozenset({
    "host", "port", "debug", "auth", "secret_key", "secret_key_file", "accounts_file",
    "audit_log",
    "https", "max_request_kb", "login_attempts", "login_window_s", "jobs",
    "celery_broker_url", "rate_per_min", "cache_type", "cache_dir", "cache_redis_url",
    "cache_timeout", "background_rows", "study_dir", "retention_days"})


@functools.lru_cache(maxsize=8)
def results_digest(settings: Settings) -> str:
    """Hash of the settings that can change a result or a page (all but
    :data:`SERVER_ONLY`: the smallest group estimated, suppression, imputation, ...)."""
    fields = {k: v for k, v in dataclasses.asdict(settings).items() if k not in SERVER_ONLY}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


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
