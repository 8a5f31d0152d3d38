#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image; the zip is unpacked
# into $AUTOGRADER_ROOT/source. It installs bubblewrap and a Python >= 3.11 (tomllib, numpy 2.4)
# with the pinned requirements. Ubuntu 22.04, Gradescope's default base image, ships Python 3.10.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SRC="$ROOT/source"

can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }
apt_install() { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }

# The first python on PATH that is 3.11 or newer.
find_python() {
  local candidate
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 \
        && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

if can_apt && ! command -v bwrap >/dev/null 2>&1; then
  apt_install bubblewrap \
    || echo "warning: could not install bubblewrap; grading will say which isolation it used" >&2
fi

if [ -n "${AUTOGRADER_PYTHON:-}" ]; then
  # An existing environment with requirements.txt installed (used by the project's own test).
  echo "$AUTOGRADER_PYTHON" > "$SRC/.python"
else
  PY="$(find_python || true)"
  if [ -z "$PY" ] && can_apt; then
    apt_install python3.11 python3.11-venv || true
    PY="$(find_python || true)"
  fi
  if [ -z "$PY" ]; then
    echo "error: the grader needs Python 3.11 or newer; pick a base image that has it" >&2
    exit 1
  fi
  if ! "$PY" -m venv "$SRC/.venv"; then
    # Debian and Ubuntu ship venv's ensurepip in a separate package.
    rm -rf "$SRC/.venv"
    can_apt && apt_install "$(basename "$PY")-venv"
    "$PY" -m venv "$SRC/.venv"
  fi
  "$SRC/.venv/bin/python" -m pip install --quiet --upgrade pip
  "$SRC/.venv/bin/python" -m pip install --quiet -r "$SRC/requirements.txt"
  echo "$SRC/.venv/bin/python" > "$SRC/.python"
fi
echo "autograder set up with $(cat "$SRC/.python")"
