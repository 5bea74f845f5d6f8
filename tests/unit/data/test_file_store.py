"""Uploaded files: content-addressed, read-only, bounded memory, size limit, retention."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import tracemalloc

import pytest

from analysis.data.store import FileStore, UploadTooLargeError, safe_name


class Zeros(io.RawIOBase):
    """A stream of ``n`` zero bytes that never holds more than one chunk."""

    def __init__(self, n: int):
        self.left = n

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        self.left -= size
        return bytes(size)


def test_saved_file_is_addressed_by_its_sha256_and_read_only(tmp_path):
    store = FileStore(tmp_path, max_bytes=1000)
    data = b"patient_id,age\nP1,50\n"
    stored = store.save(io.BytesIO(data), "cohort.csv")
    assert stored.digest == hashlib.sha256(data).hexdigest()  # reference: hashlib directly
    assert stored.path.read_bytes() == data and stored.size == len(data)
    assert not stat.S_IMODE(os.stat(stored.path).st_mode) & 0o222  # nobody may write
    assert store.get(stored.digest) == stored


def test_the_same_bytes_are_stored_once(tmp_path):
    store = FileStore(tmp_path, max_bytes=1000)
    a = store.save(io.BytesIO(b"x,y\n1,2\n"), "first.csv")
    b = store.save(io.BytesIO(b"x,y\n1,2\n"), "second.csv")
    assert a == b and a.name == "first.csv"
    assert [p.name for p in tmp_path.iterdir()] == [a.digest]  # no temporary file left


def test_a_file_over_the_limit_is_refused_and_nothing_is_kept(tmp_path):
    store = FileStore(tmp_path, max_bytes=10)
    with pytest.raises(UploadTooLargeError, match="larger than the limit"):
        store.save(io.BytesIO(b"0123456789A"), "big.csv")
    assert list(tmp_path.iterdir()) == []


def test_streaming_keeps_memory_bounded(tmp_path):
    n = 64 * 2**20
    store = FileStore(tmp_path, max_bytes=n)
    tracemalloc.start()
    stored = store.save(Zeros(n), "zeros.bin")
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert stored.size == n
    assert peak < 4 * 2**20  # a few chunks of 1 MiB, not the 64 MiB file


@pytest.mark.parametrize("name, expected", [
    ("../../etc/passwd", "passwd"), ("C:\\Users\\me\\study.sav", "study.sav"),
    ("", "upload"), ("a<b>|c.csv", "a_b_c.csv")])
def test_names_lose_folders_and_odd_characters(name, expected):
    assert safe_name(name) == expected


def test_malformed_digests_find_nothing(tmp_path):
    store = FileStore(tmp_path, max_bytes=10)
    assert store.get("../../etc") is None and store.get("0" * 64) is None


def test_purge_removes_files_older_than_the_retention(tmp_path):
    store = FileStore(tmp_path, max_bytes=100, retention_days=30)
    old = store.save(io.BytesIO(b"old"), "old.csv")
    new = store.save(io.BytesIO(b"new"), "new.csv")
    # the old file's record says it was stored 40 days ago
    record = tmp_path / old.digest / "record.json"
    meta = json.loads(record.read_text())
    record.write_text(json.dumps({**meta, "stored_at": new.stored_at - 40 * 86400}))
    assert store.purge(now=new.stored_at + 1) == [old.digest]
    assert store.get(old.digest) is None and store.get(new.digest) == new
    assert FileStore(tmp_path, max_bytes=100, retention_days=0).purge() == []  # 0 = keep
