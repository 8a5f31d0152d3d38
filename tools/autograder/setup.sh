#!/usr/bin/env bash
# Gradescope runs this once when the autograder image is built, from $AUTOGRADER_ROOT/source.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SRC="$ROOT/source"

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  missing=""
  command -v bwrap >/dev/null 2>&1 || missing="$missing bubblewrap"
  python3 -m venv --help >/dev/null 2>&1 || missing="$missing python3-venv"
  if [ -n "$missing" ]; then
    (apt-get update -qq && apt-get install -y -qq $missing >/dev/null) \
      || echo "warning: could not install$missing; grading will say which isolation it used" >&2
  fi
fi

if [ -n "${AUTOGRADER_PYTHON:-}" ]; then
  # An existing environment with requirements.txt installed (used by the project's own test).
  echo "$AUTOGRADER_PYTHON" > "$SRC/.python"
else
  python3 -m venv "$SRC/.venv"
  "$SRC/.venv/bin/python" -m pip install --quiet --upgrade pip
  "$SRC/.venv/bin/python" -m pip install --quiet -r "$SRC/requirements.txt"
  echo "$SRC/.venv/bin/python" > "$SRC/.python"
fi
echo "autograder set up with $(cat "$SRC/.python")"
