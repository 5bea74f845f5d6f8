"""Command line: check a data file against the data dictionary.

    python -m analysis.validate FILE [--mapping M] [--sheet S] [--lesions L]

Prints the validation report and a summary (rows, columns, patients per group).
Exit status: 0 when the file loads (warnings allowed), 1 on any error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from analysis.data.loader import Dataset, load_dataset
from analysis.data.schema import GROUP
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the check; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis.validate",
        description="Check a patient file against the data dictionary and print what to fix.")
    parser.add_argument("file", help="patient file (.csv .tsv .xlsx .parquet .sas7bdat .xpt .dta .sav)")
    parser.add_argument("--mapping", help="TOML column mapping (see docs/mapping-example.toml)")
    parser.add_argument("--sheet", help="Excel sheet name (default: the first sheet)")
    parser.add_argument("--lesions", help="optional lesion file (patient_id, arc_deg, length_mm)")
    args = parser.parse_args(argv)
    try:
        ds = load_dataset(args.file, args.mapping, sheet=args.sheet, lesions=args.lesions)
    except DataLoadError as err:
        if err.report is not None:
            print(err.report.to_text())
        else:
            print(f"ERROR   {err}")
        print(f"\nNot loaded: {len(err.report.errors) if err.report else 1} error(s) to fix.")
        return 1
    print(ds.report.to_text())
    print()
    print(summary(ds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
