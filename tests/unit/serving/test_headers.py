"""The Content-Security-Policy text (serving.headers)."""

from __future__ import annotations

from serving.headers import content_security_policy


def test_policy_lists_the_hashes_and_forbids_framing():
    policy = content_security_policy(["'sha256-abc='", "'sha256-def='"])
    directives = {d.split()[0]: d.split()[1:] for d in policy.split("; ")}
    assert directives["script-src"] == ["'self'", "'sha256-abc='", "'sha256-def='"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["default-src"] == ["'self'"]
    assert "'unsafe-eval'" not in policy
    assert "http" not in policy  # no outside origin (the app works offline)
