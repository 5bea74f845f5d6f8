"""Server settings of analysis/settings.py: login default, limits, the secret file."""

from __future__ import annotations

import os
import stat

import pytest

from analysis.errors import ExplorerError
from analysis.settings import Settings, from_env, secret_bytes


@pytest.mark.parametrize(("env", "required"), [
    ({}, False),
    ({"EXPLORER_HOST": "localhost"}, False),
    ({"EXPLORER_HOST": "::1"}, False),
    ({"EXPLORER_HOST": "0.0.0.0"}, True),
    ({"EXPLORER_HOST": "10.1.2.3"}, True),
    ({"EXPLORER_HOST": "0.0.0.0", "EXPLORER_AUTH": "off"}, False),
    ({"EXPLORER_AUTH": "required"}, True),
    ({"EXPLORER_AUTH": "REQUIRED"}, True),
])
def test_login_is_required_beyond_loopback(env, required):
    assert from_env(env).auth_required() is required


@pytest.mark.parametrize(("env", "message"), [
    ({"EXPLORER_AUTH": "maybe"}, "set it to required or off"),
    ({"EXPLORER_MAX_REQUEST_KB": "-1"}, "EXPLORER_MAX_REQUEST_KB='-1' must be a whole number"),
    ({"EXPLORER_LOGIN_ATTEMPTS": "many"}, "EXPLORER_LOGIN_ATTEMPTS='many'"),
])
def test_bad_server_settings_say_what_to_fix(env, message):
    with pytest.raises(ExplorerError, match=message):
        from_env(env)


def test_limits_from_the_environment():
    s = from_env({"EXPLORER_MAX_REQUEST_KB": "64", "EXPLORER_HTTPS": "1"})
    assert s.max_request_kb == 64 and s.https is True


def test_secret_is_generated_once_into_a_private_file(tmp_path):
    s = Settings(secret_key_file=str(tmp_path / "sub" / "secret_key"))
    first = secret_bytes(s)
    assert len(first) == 64  # 32 random bytes, hex
    assert secret_bytes(s) == first
    assert stat.S_IMODE(os.stat(s.secret_key_file).st_mode) == 0o600


def test_secret_from_the_setting_wins(tmp_path):
    s = Settings(secret_key="given", secret_key_file=str(tmp_path / "unused"))
    assert secret_bytes(s) == b"given"
    assert not (tmp_path / "unused").exists()


@pytest.mark.parametrize(("env", "backend"), [
    ({}, "diskcache"),
    ({"EXPLORER_JOBS": "celery"}, "celery"),
    ({"CELERY_BROKER_URL": "redis://127.0.0.1:6390/1"}, "celery"),
    ({"CELERY_BROKER_URL": "redis://127.0.0.1:6390/1", "EXPLORER_JOBS": "diskcache"},
     "diskcache"),
])
def test_background_jobs_backend(env, backend):
    assert from_env(env).jobs_backend() == backend


@pytest.mark.parametrize(("cache_url", "celery_url"), [
    ("redis://:pw@127.0.0.1:6390/0", "redis://:pw@127.0.0.1:6390/1"),  # same Redis, db 1
    ("redis://:pw@127.0.0.1:6390", "redis://:pw@127.0.0.1:6390/1"),
    ("redis://redis.example:6379/5", "redis://redis.example:6379/1"),
])
def test_celery_uses_the_cache_redis_on_its_own_database(cache_url, celery_url):
    assert Settings(cache_redis_url=cache_url).celery_url() == celery_url
    given = "redis://:other@10.0.0.2:6379/4"
    assert Settings(cache_redis_url=cache_url, celery_broker_url=given).celery_url() == given


@pytest.mark.parametrize(("env", "message"), [
    ({"EXPLORER_JOBS": "threads"}, "set it to diskcache or celery"),
    ({"EXPLORER_BACKGROUND_ROWS": "0"}, "EXPLORER_BACKGROUND_ROWS='0' must be a whole number"),
    ({"EXPLORER_RATE_PER_MIN": "-5"}, "EXPLORER_RATE_PER_MIN='-5' must be a whole number, 0"),
])
def test_bad_job_settings_say_what_to_fix(env, message):
    with pytest.raises(ExplorerError, match=message):
        from_env(env)
