#!/usr/bin/env bash
# Refresh constraints.txt: resolve the project's bounds in pyproject.toml afresh from the registry in a new
# virtualenv (no constraints), run the test suite there, and only if it passes write the exact set that was
# installed to constraints.txt. Meant for a scheduled job (e.g. weekly) that opens a change with the new file.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
. "$tmp/venv/bin/activate"
python -m pip install -q --upgrade pip
python -m pip install -q -e ".[test,spark]"
python -m pytest -q
{
  echo "# Exact versions CI and the README install with (pip install -c constraints.txt ...)."
  echo "# Written by scripts/refresh-constraints.sh on $(date -u +%F) after the tests passed with them."
  python -m pip freeze --exclude-editable | sed -e 's/+cpu$//' | sort -f
} > constraints.txt.new
mv constraints.txt.new constraints.txt
echo "constraints.txt refreshed"
