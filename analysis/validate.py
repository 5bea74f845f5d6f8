"""Command line: check a data file against the data dictionary.

    python -m analysis.validate FILE [--mapping M] [--sheet S] [--lesions L] [--json]
    python -m analysis.validate FILE --suggest-mapping > mapping.toml

Prints the validation report (every problem of the mapping and of the data, and
every conversion made) and a summary (rows, columns, patients per group); ``--json``
prints the same report as JSON. ``--suggest-mapping`` writes a suggested mapping
(TOML) to standard output instead. Exit status: 0 when the file loads (warnings
allowed) or a suggestion was written, 1 on any error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from analysis.data.loader import Dataset, load_dataset
from analysis.data.readers import ReadOptions, read_raw
from analysis.data.schema import GROUP, VARIABLES
from analysis.data.suggest import suggest_mapping
from analysis.errors import DataLoadError


def summary(dataset: Dataset) -> str:
    """Rows, columns and patients per calcification group, as text."""
    prov = dataset.provenance
    lines = [f"File: {prov.source} ({prov.format}"
             + (f", sheet '{prov.sheet}'" if prov.sheet else "") + ")",
             f"Rows: {prov.rows}",
             f"Columns: {prov.n_columns} ({', '.join(prov.columns)})"]
    if prov.ignored_columns:
        lines.append(f"Ignored file columns: {', '.join(prov.ignored_columns)}")
    if GROUP in dataset.frame.columns:
        counts = dataset.frame[GROUP].value_counts(dropna=False, sort=False)
        lines.append("Groups: " + ", ".join(f"{k if k == k else 'missing'} {v}"
                                            for k, v in counts.items()))
    if dataset.lesions is not None:
        lines.append(f"Lesions: {len(dataset.lesions)}")
    if prov.simulated:
        lines.append(prov.label)
    lines.append(f"Fingerprint: {prov.fingerprint}")
    return "\n".join(lines)


def _suggest(path: str, sheet: str | None) -> int:
    expected = frozenset(v.name for v in VARIABLES.values() if not v.derived)
    try:
        raw = read_raw(path, sheet=sheet, options=ReadOptions(expected=expected))
    except DataLoadError as err:
        print(err.report.to_text() if err.report else f"ERROR   {err}", file=sys.stderr)
        return 1
    suggestion = suggest_mapping(raw)
    sys.stdout.write(suggestion.to_toml())
    print(f"Suggested {len(suggestion.columns)} of {len(suggestion.columns) + len(suggestion.unmatched)}"
          " dictionary columns; check the lines marked 'check'.", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the check; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis.validate",
        description="Check a patient file against the data dictionary and print what to fix.")
    parser.add_argument("file", help="patient file (.csv .tsv .xlsx .parquet .sas7bdat .xpt .dta .sav)")
    parser.add_argument("--mapping", help="TOML column mapping (see docs/mapping-example.toml)")
    parser.add_argument("--sheet", help="Excel sheet name (default: the first sheet)")
    parser.add_argument("--lesions", help="optional lesion file (patient_id, arc_deg, length_mm)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--suggest-mapping", action="store_true",
                        help="write a suggested mapping (TOML) for FILE to standard output")
    args = parser.parse_args(argv)
    if args.suggest_mapping:
        return _suggest(args.file, args.sheet)
    try:
        ds = load_dataset(args.file, args.mapping, sheet=args.sheet, lesions=args.lesions)
    except DataLoadError as err:
        if args.json:
            report = err.report.to_dict() if err.report else {"ok": False, "issues": [
                {"severity": "error", "code": "error", "message": str(err)}]}
            print(json.dumps(report, indent=2))
            return 1
        if err.report is not None:
            print(err.report.to_text())
        else:
            print(f"ERROR   {err}")
        print(f"\nNot loaded: {len(err.report.errors) if err.report else 1} error(s) to fix.")
        return 1
    if args.json:
        print(json.dumps(ds.report.to_dict() | {"rows": ds.provenance.rows,
                                                "fingerprint": ds.fingerprint}, indent=2))
        return 0
    print(ds.report.to_text())
    print()
    print(summary(ds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
