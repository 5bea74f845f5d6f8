"""The upload route of the 'Open a study' page: ``POST /studies/upload``.

The browser sends the file as the raw request body (not base64 through a Store, not
a multipart form held in memory): it is streamed into the content-addressed
:class:`~analysis.data.store.FileStore` in 1 MiB chunks, so a 200 MB file needs
bounded memory, and refused past ``EXPLORER_MAX_FILE_MB`` while it streams. The
answer is JSON: ``{"digest", "name", "size", "kind"}`` or ``{"error"}`` with 400/413.

The request must carry the header ``X-Explorer-Upload: 1``, which a form on another
site cannot set without the browser asking this server first (CSRF).
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request

from analysis import settings as settings_mod
from analysis.data import registry
from analysis.data.store import FileStore, UploadTooLargeError
from analysis.errors import DataLoadError

log = logging.getLogger("ivus_explorer")
ROUTE = "/studies/upload"
KINDS = ("patient", "lesions", "mapping")
#: Largest mapping file (TOML text) accepted.
MAPPING_MAX_BYTES = 256 * 1024


def _answer(message: str, status: int):
    return jsonify({"error": message}), status


def _role_refusal() -> str | None:
    """Why this user may not open studies (login on and a viewer), else None."""
    from accounts.roles import PATIENT_ROWS_ROLE, refusal_message
    from accounts.web import current_user

    if not settings_mod.current().auth_required():
        return None
    account = current_user()
    if account is None or not account.has_role(PATIENT_ROWS_ROLE):
        return refusal_message(account.role if account else "none")
    return None


def upload():
    """Stream one file into the store; JSON answer."""
    if request.headers.get("X-Explorer-Upload") != "1":
        return _answer("Upload from the 'Open a study' page.", 400)
    refused = _role_refusal()
    if refused:
        return _answer(refused, 403)
    kind = request.args.get("kind", "")
    if kind not in KINDS:
        return _answer(f"kind must be one of {', '.join(KINDS)}.", 400)
    _book, files = registry.study_store()
    limit = MAPPING_MAX_BYTES if kind == "mapping" else files.max_bytes
    request.max_content_length = limit  # per request (Flask 3.1): the callbacks' limit is lower
    if request.content_length is not None and request.content_length > limit:
        return _answer(f"The file is larger than the limit of {limit / 2**20:,.1f} MB.", 413)
    if kind == "mapping":
        files = FileStore(files.root, max_bytes=limit, retention_days=files.retention_days)
    try:
        stored = files.save(request.stream, request.headers.get("X-Filename", "upload"))
    except UploadTooLargeError as err:
        return _answer(str(err), 413)
    except DataLoadError as err:
        return _answer(str(err), 400)
    files.purge()  # the retention period: older uploads go
    log.info("stored upload %s (%s, %d bytes)", stored.digest[:12], kind, stored.size)
    return jsonify({"digest": stored.digest, "name": stored.name, "size": stored.size,
                    "kind": kind})


def install(server: Flask) -> None:
    """Register the upload route on the Flask server."""
    server.add_url_rule(ROUTE, "studies_upload", upload, methods=["POST"])
