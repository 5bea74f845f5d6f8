"""In-process registry of loaded datasets, keyed by fingerprint.

Cached analysis entry points take a fingerprint (a string) and fetch the frame here,
so no DataFrame ever becomes part of a cache key. :func:`active` loads the dataset the
settings name (``settings.data`` with its mapping/sheet/lesions, else the bundled
simulated cohort) on first use; a failed load is remembered and raised again as the
same :class:`~analysis.errors.DataLoadError`, so the app can show its report.
"""

from __future__ import annotations

import threading
from pathlib import Path

from analysis import settings as settings_mod
from analysis.data.loader import Dataset, load_bundled, load_dataset
from analysis.data.store import FileStore
from analysis.data.studies import StudyBook, StudyRecord, load_study
from analysis.errors import DataLoadError, ExplorerError


class UnknownDatasetError(ExplorerError, KeyError):
    """No dataset with this fingerprint is loaded in this process."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


_lock = threading.RLock()
_datasets: dict[str, Dataset] = {}
_active: str | None = None
_active_error: DataLoadError | None = None


def register(dataset: Dataset) -> str:
    """Keep ``dataset`` in the registry; returns its fingerprint."""
    fp = dataset.provenance.fingerprint
    with _lock:
        _datasets[fp] = dataset
    return fp


def get(fingerprint: str) -> Dataset:
    """The registered dataset with this fingerprint.

    Raises
    ------
    UnknownDatasetError
        (a KeyError and ExplorerError) if it is not loaded in this process.
    """
    with _lock:
        ds = _datasets.get(fingerprint)
        if ds is None and _active is None and _active_error is None:
            # The app may ask before anything was loaded in this worker process.
            try:
                ds = active()
            except DataLoadError:
                ds = None
            if ds is not None and ds.provenance.fingerprint != fingerprint:
                ds = None
    if ds is None:
        raise UnknownDatasetError(f"no dataset with fingerprint {fingerprint[:12]}... is loaded; "
                                  "reload the page to open the current dataset.")
    return ds


def study_store() -> tuple[StudyBook, FileStore]:
    """The records and the file store of studies opened in the browser (from settings)."""
    s = settings_mod.current()
    root = Path(s.study_dir)
    return (StudyBook(root / "records"),
            FileStore(root / "files", max_bytes=int(s.max_file_mb * 2**20),
                      retention_days=s.retention_days))


def open_study(dataset: Dataset, record: StudyRecord) -> str:
    """Register a study opened in the browser and keep its record; its fingerprint."""
    book, _files = study_store()
    book.add(record)
    return register(dataset)


def visible_to(fingerprint: str, user: str | None) -> bool:
    """Whether ``user`` may see the dataset: the one in use for everyone (bundled or
    given on the command line), or a study opened by that user or shared."""
    if _active is not None and fingerprint == _active:
        return True
    record = study_store()[0].get(fingerprint)
    return record is not None and record.visible_to(user)


def ensure(fingerprint: str) -> Dataset:
    """The dataset, loaded again from its study record when this process lacks it
    (another worker opened it).

    Raises
    ------
    UnknownDatasetError
        Neither loaded nor recorded. DataLoadError: the record's files no longer load.
    """
    try:
        return get(fingerprint)
    except UnknownDatasetError:
        book, files = study_store()
        record = book.get(fingerprint)
        if record is None:
            raise
    with _lock:
        if fingerprint not in _datasets:
            ds = load_study(record, files)
            if ds.provenance.fingerprint != fingerprint:
                raise DataLoadError(f"Study '{record.name}' no longer loads to the same data "
                                    "(the explorer was updated); open it again.")
            register(ds)
        return _datasets[fingerprint]


def load_active() -> Dataset:
    """Load the dataset the current settings name (no registry side effects)."""
    s = settings_mod.current()
    if s.data:
        return load_dataset(s.data, s.mapping, sheet=s.sheet, lesions=s.lesions,
                            max_file_mb=s.max_file_mb)
    return load_bundled()


def active() -> Dataset:
    """The dataset in use, loaded per ``settings.current()`` on the first call.

    Raises
    ------
    DataLoadError
        The same error object on every call after a failed load.
    """
    global _active, _active_error
    with _lock:
        if _active_error is not None:
            raise _active_error
        if _active is not None and _active in _datasets:
            return _datasets[_active]
        try:
            ds = load_active()
        except DataLoadError as err:
            _active_error = err
            raise
        _active = register(ds)
        return ds


def reset() -> None:
    """Forget every dataset and any remembered load error (tests, settings change)."""
    global _active, _active_error
    with _lock:
        _datasets.clear()
        _active = None
        _active_error = None
