"""Opening a study from uploaded files: profiles, the suggested mapping, the live
report, and the load that registers the study for its owner.

Every entry takes the stored files' digests (:class:`~analysis.data.store.FileStore`)
and a mapping in the mapping-file format as canonical JSON text, so results can be
cached by value. The report is the same :class:`~analysis.data.validation.ValidationReport`
the command line prints (``python -m analysis.validate``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from analysis.data import registry
from analysis.data.loader import Dataset, check_file, load_dataset
from analysis.data.profiles import ColumnProfile, profile_frame
from analysis.data.readers import read_raw
from analysis.data.studies import new_record
from analysis.data.suggest import suggest_mapping
from analysis.data.validation import Issue, ValidationReport
from analysis.errors import DataLoadError
from analysis.service import cache


@dataclass(frozen=True)
class FileSummary:
    """What the wizard shows of an uploaded patient file."""

    name: str
    rows: int
    columns: tuple[str, ...]
    profiles: dict[str, ColumnProfile]
    suggestion: dict
    read_issues: tuple[Issue, ...]


def mapping_json(mapping: dict | None) -> str:
    """Canonical JSON text of a mapping (the cache key of a check)."""
    return json.dumps(mapping or {}, sort_keys=True, separators=(",", ":"))


def _path(digest: str | None):
    if not digest:
        return None
    stored = registry.study_store()[1].get(digest)
    if stored is None:
        raise DataLoadError("The uploaded file is no longer stored; upload it again.")
    return stored


@cache.memoize("opening.summary")
def summarize(digest: str, sheet: str | None = None) -> FileSummary:
    """Profiles and the suggested mapping of an uploaded patient file.

    Raises
    ------
    DataLoadError
        The file cannot be read (its report attached).
    """
    stored = _path(digest)
    raw = _kept_read(stored.path, sheet=sheet or None)
    frame = raw.frame
    return FileSummary(name=stored.name, rows=len(frame),
                       columns=tuple(str(c) for c in frame.columns),
                       profiles=profile_frame(frame), suggestion=suggest_mapping(raw).to_dict(),
                       read_issues=tuple(raw.issues))


def _load(digest: str, sheet: str | None, mapping: dict, lesions: str | None) -> Dataset:
    patient = _path(digest)
    lesion_file = _path(lesions)
    return load_dataset(patient.path, mapping or None, sheet=sheet or None,
                        lesions=lesion_file.path if lesion_file else None)


@cache.local_memo(maxsize=2)
def _kept_read(path, *, sheet=None, limits=None, options=None, max_file_mb=None):
    """:func:`read_raw`, keeping the last two reads in this process (the wizard's edits
    that leave the read options alone, such as units or codes of a coded column, then
    cost no read). Stored uploads are never modified, so a path names fixed content;
    the raw cells are only read, never changed, by the loader."""
    return read_raw(path, sheet=sheet, limits=limits, options=options, max_file_mb=max_file_mb)


@cache.memoize("opening.check")
def check(digest: str, sheet: str | None, mapping_text: str,
          lesions: str | None = None) -> ValidationReport:
    """The validation report of loading the file with this mapping (errors and warnings).

    The same report a load gives (:func:`~analysis.data.loader.check_file`), without
    building the dataset; the file's raw cells are kept between edits when the read
    options stay the same.
    """
    try:
        patient, lesion_file = _path(digest), _path(lesions)
        return check_file(patient.path, json.loads(mapping_text) or None, sheet=sheet or None,
                          lesions=lesion_file.path if lesion_file else None,
                          reader=_kept_read)
    except DataLoadError as err:
        if err.report is not None:
            return err.report
        return ValidationReport.of([Issue("error", "load", None, str(err))])


def open_study(digest: str, sheet: str | None, mapping: dict, lesions: str | None,
               owner: str) -> str:
    """Load the study, record it for ``owner`` and register it; its fingerprint.

    Raises
    ------
    DataLoadError
        The mapping still leaves errors (the report is attached).
    """
    ds = _load(digest, sheet, mapping, lesions)
    record = new_record(ds, owner=owner, patient_file=digest, lesion_file=lesions or None,
                        mapping=mapping or None, sheet=sheet or None, name=_path(digest).name)
    return registry.open_study(ds, record)


__all__ = ["FileSummary", "check", "mapping_json", "open_study", "summarize"]
