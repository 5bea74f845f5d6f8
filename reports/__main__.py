"""``python -m reports LINK --format pptx|html|py|r|zip --out FILE``

LINK is a view's link as in the address bar: path and query, e.g.
``"/comparison?age=50-70&outcome=delta_pav"``. The dataset is the one the app would
open (``--data``/``--mapping`` or the EXPLORER_* settings; the bundled simulated
cohort by default). ``--sensitivity`` / ``--no-sensitivity`` add or leave out the
Sensitivity section (default: in the kit of /comparison only). Progress goes to stderr.
Errors are one line on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from analysis import settings as settings_mod
from analysis.errors import ExplorerError
from reports.kit import FORMATS, build


def main(argv: Sequence[str] | None = None) -> int:
    """Build one kit file; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m reports",
                                     description="The meeting kit of a view of the explorer.")
    parser.add_argument("link", help='the view\'s link, e.g. "/therapy?ldl_cut=80"')
    parser.add_argument("--format", required=True, choices=FORMATS)
    parser.add_argument("--out", required=True, help="file to write")
    parser.add_argument("--data", help="patient file (default: the bundled cohort)")
    parser.add_argument("--mapping", help="TOML column mapping of --data")
    parser.add_argument("--sensitivity", action=argparse.BooleanOptionalAction, default=None,
                        help="add the Sensitivity section (default: for /comparison only)")
    args = parser.parse_args(argv)
    settings_mod.configure(settings_mod.current().with_overrides(data=args.data,
                                                                 mapping=args.mapping))
    from components import static_images

    try:
        name, data = build(args.link, args.format,
                           progress=lambda msg: print(msg, file=sys.stderr),
                           sensitivity=args.sensitivity)
    except ExplorerError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    finally:
        static_images.stop()
    Path(args.out).write_bytes(data)
    print(f"wrote {args.out} ({len(data):,} bytes; suggested name {name})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
