"""Studies opened from the browser: who may see each, and how to load it again.

A study is a patient file (and optional lesion file) in the
:class:`~analysis.data.store.FileStore` plus the column mapping the user chose. Its
record, kept as JSON beside the stored files, lets any worker process load the same
study again (the registry is per process) and says who may see it: the user who
opened it, or everyone once an admin shares it. The bundled cohort and a study given
on the command line are not recorded here: they are everyone's.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from analysis.data.loader import Dataset, load_dataset
from analysis.data.store import FileStore
from analysis.errors import DataLoadError

_FP = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class StudyRecord:
    """How to load a study again, and who may see it.

    Attributes
    ----------
    fingerprint : str
        The loaded dataset's fingerprint (what the analysis cache keys hold).
    owners : tuple of str
        The users who opened it (the same data opened by two users is one study).
    shared : bool
        Visible to the whole team (an admin shared it).
    patient_file, lesion_file : str
        Digests of the stored files (``lesion_file`` may be ``None``).
    mapping : dict or None
        The column mapping (the parsed TOML of the mapping file format).
    sheet : str or None
        Excel sheet.
    name : str
        The patient file's name as the user called it.
    opened_at : float
        When it was opened (seconds since the epoch).
    """

    fingerprint: str
    owners: tuple[str, ...]
    shared: bool
    patient_file: str
    lesion_file: str | None
    mapping: dict | None
    sheet: str | None
    name: str
    opened_at: float

    def visible_to(self, user: str | None) -> bool:
        """Whether ``user`` may see this study (shared ones: everyone)."""
        return self.shared or (user is not None and user in self.owners)


class StudyBook:
    """The records of opened studies, one JSON file each under ``root``."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, fingerprint: str) -> Path | None:
        return self.root / f"{fingerprint}.json" if _FP.match(str(fingerprint)) else None

    def add(self, record: StudyRecord) -> StudyRecord:
        """Keep ``record``; the owners of an existing record of the same study are kept."""
        path = self._path(record.fingerprint)
        if path is None:
            raise DataLoadError(f"not a dataset fingerprint: {record.fingerprint!r}")
        old = self.get(record.fingerprint)
        if old is not None:
            owners = tuple(dict.fromkeys(old.owners + record.owners))
            record = replace(record, owners=owners, shared=old.shared or record.shared)
        return self._write(path, record)

    def _write(self, path: Path, record: StudyRecord) -> StudyRecord:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(asdict(record)))
        os.replace(tmp, path)
        return record

    def get(self, fingerprint: str) -> StudyRecord | None:
        """The record of a study, or None."""
        path = self._path(fingerprint)
        if path is None:
            return None
        try:
            data = json.loads(path.read_text())
            return StudyRecord(**{**data, "owners": tuple(data.get("owners", ()))})
        except (OSError, ValueError, TypeError):
            return None

    def share(self, fingerprint: str) -> StudyRecord | None:
        """Make a study visible to everyone (an admin's action)."""
        record = self.get(fingerprint)
        return None if record is None else self.add(replace(record, shared=True))

    def unshare(self, fingerprint: str) -> StudyRecord | None:
        """Make a shared study visible to its owners only again (an admin's action)."""
        record = self.get(fingerprint)
        path = self._path(fingerprint)
        if record is None or path is None:
            return None
        return self._write(path, replace(record, shared=False))

    def visible_to(self, user: str | None) -> list[StudyRecord]:
        """The studies ``user`` may open, newest first."""
        records = [self.get(p.stem) for p in self.root.glob("*.json")] if self.root.is_dir() else []
        return sorted((r for r in records if r is not None and r.visible_to(user)),
                      key=lambda r: r.opened_at, reverse=True)


def load_study(record: StudyRecord, store: FileStore) -> Dataset:
    """Load a recorded study from its stored files (the mapping applied again).

    Raises
    ------
    DataLoadError
        A stored file is gone (retention) or no longer loads.
    """
    patient = store.get(record.patient_file)
    lesions = store.get(record.lesion_file) if record.lesion_file else None
    if patient is None or (record.lesion_file and lesions is None):
        raise DataLoadError(f"The files of study '{record.name}' are no longer stored "
                            "(kept for the retention period only); open the study again.")
    return load_dataset(patient.path, record.mapping, sheet=record.sheet,
                        lesions=lesions.path if lesions else None)


def new_record(dataset: Dataset, *, owner: str, patient_file: str,
               lesion_file: str | None, mapping: dict | None, sheet: str | None,
               name: str) -> StudyRecord:
    """The record of a study just loaded from stored files."""
    return StudyRecord(fingerprint=dataset.provenance.fingerprint, owners=(owner,), shared=False,
                       patient_file=patient_file, lesion_file=lesion_file, mapping=mapping,
                       sheet=sheet, name=name, opened_at=time.time())


__all__ = ["StudyBook", "StudyRecord", "load_study", "new_record"]
