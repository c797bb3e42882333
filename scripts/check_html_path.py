"""CI check: real HTML news pages go through `storyline ingest` on this installation, and none is rejected
for a reason other than the page itself (a broken dependency stops the command with exit code 3).

    python scripts/check_html_path.py ../shared/data/aeb/html [--limit N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

# the cleaner's verdicts on a page itself (see storyline.clean); anything else is the code's fault
PAGE_REASONS = (
    "no article text found",
    "too short",
    "unparsable markup",
    "undecodable",
    "markup nested too deeply",
    "empty file",
    "file too large",
)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", type=Path)
    ap.add_argument("--limit", type=int, default=0, help="at most this many pages (0: all)")
    args = ap.parse_args()
    pages = sorted(args.folder.glob("*.html"))
    if args.limit:
        pages = pages[: args.limit]
    if not pages:
        print(f"check_html_path: no .html pages in {args.folder}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            sys.executable,
            "-m",
            "storyline.cli",
            "ingest",
            *map(str, pages),
            "--db",
            f"{tmp}/aeb.db",
            "--no-stories",
            "--json",
        ]
        run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode not in (0, 1):  # 1: some pages rejected (checked below); 2, 3: the command failed
        print(f"check_html_path: storyline ingest failed (exit {run.returncode}):\n{run.stderr}", file=sys.stderr)
        return 1
    report = json.loads(run.stdout)
    bad = [r for r in report["rejected"] if not r["reason"].startswith(PAGE_REASONS)]
    print(
        f"check_html_path: {len(pages)} pages, {len(report['stored'])} stored, {len(report['duplicates'])} "
        f"duplicates, {len(report['rejected'])} rejected ({len(bad)} not for the page's own sake)"
    )
    for r in bad:
        print(f"  {r['source']}: {r['reason']}", file=sys.stderr)
    return 1 if bad or not report["stored"] else 0


if __name__ == "__main__":
    sys.exit(main())
