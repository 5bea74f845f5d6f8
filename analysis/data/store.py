"""Uploaded study files, stored content-addressed and never modified.

A file opened from the browser is streamed to disk here, in chunks (memory stays
bounded whatever its size), hashed while it is written, and kept under its sha256
digest: ``ROOT/<digest>/<original file name>``, read-only, with a small JSON record of
its original name, size and time. The same bytes uploaded twice are stored once. A
file over the size limit is refused while it streams, and nothing of it is kept.
Files older than the retention period are removed by :meth:`FileStore.purge`.

No Flask here: the upload route hands over its stream (any object with ``read(n)``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from analysis.errors import DataLoadError

CHUNK = 1 << 20
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


class UploadTooLargeError(DataLoadError):
    """The uploaded file is larger than the size limit."""


@dataclass(frozen=True)
class StoredFile:
    """A stored upload: its digest, where it is, and what the user called it."""

    digest: str
    path: Path
    name: str
    size: int
    stored_at: float


def safe_name(name: str | None) -> str:
    """The file name without folders or unusual characters (kept for its extension)."""
    base = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip(" .") or "upload"
    return base[-120:]


class FileStore:
    """Content-addressed store of uploaded files under ``root``.

    Parameters
    ----------
    root : path
        Folder of the store (created when missing).
    max_bytes : int
        Largest file accepted.
    retention_days : float
        Files stored longer ago than this are removed by :meth:`purge` (0 = keep).
    """

    def __init__(self, root: str | Path, *, max_bytes: int, retention_days: float = 0.0):
        self.root = Path(root)
        self.max_bytes = int(max_bytes)
        self.retention_days = float(retention_days)

    def save(self, stream: BinaryIO, name: str | None) -> StoredFile:
        """Stream ``stream`` into the store; the stored file is read-only.

        Raises
        ------
        UploadTooLargeError
            The stream is longer than ``max_bytes`` (nothing is kept).
        """
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise UploadTooLargeError(
                            f"The file is larger than the limit of "
                            f"{self.max_bytes / 2**20:,.0f} MB; split it, remove columns the "
                            "explorer does not use, or ask the administrator to raise "
                            "EXPLORER_MAX_FILE_MB.")
                    digest.update(chunk)
                    out.write(chunk)
            return self._keep(Path(tmp), digest.hexdigest(), safe_name(name), size)
        finally:
            Path(tmp).unlink(missing_ok=True)

    def _keep(self, tmp: Path, digest: str, name: str, size: int) -> StoredFile:
        folder = self.root / digest
        existing = self.get(digest)
        if existing is not None:
            return existing
        folder.mkdir(exist_ok=True)
        target = folder / name
        os.replace(tmp, target)
        target.chmod(0o444)
        now = time.time()
        (folder / "record.json").write_text(json.dumps(
            {"name": name, "size": size, "stored_at": now}))
        return StoredFile(digest, target, name, size, now)

    def get(self, digest: str) -> StoredFile | None:
        """The stored file with this digest, or None (also for a malformed digest)."""
        if not isinstance(digest, str) or not _DIGEST.match(digest):
            return None
        record = self.root / digest / "record.json"
        try:
            meta = json.loads(record.read_text())
        except (OSError, ValueError):
            return None
        path = self.root / digest / safe_name(meta.get("name"))
        if not path.is_file():
            return None
        return StoredFile(digest, path, path.name, int(meta.get("size", 0)),
                          float(meta.get("stored_at", 0.0)))

    def purge(self, now: float | None = None) -> list[str]:
        """Remove files stored more than ``retention_days`` ago; their digests."""
        if self.retention_days <= 0 or not self.root.is_dir():
            return []
        limit = (time.time() if now is None else now) - self.retention_days * 86400.0
        removed = []
        for folder in self.root.iterdir():
            stored = self.get(folder.name)
            if stored is not None and stored.stored_at < limit:
                for p in folder.iterdir():
                    p.chmod(0o644)
                shutil.rmtree(folder)
                removed.append(folder.name)
        return removed


__all__ = ["FileStore", "StoredFile", "UploadTooLargeError", "safe_name"]
