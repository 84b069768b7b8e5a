#!/usr/bin/env bash
# Installs what Yishi needs on a fresh machine: uv (from PyPI) and the locked
# Python dependencies in .venv. Sourced by scripts/demo.sh and scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v uv >/dev/null 2>&1; then
  PY=$(command -v python3.12 || command -v python3)
  "$PY" -m pip install --quiet --disable-pip-version-check uv 2>/dev/null \
    || "$PY" -m pip install --quiet --disable-pip-version-check --user uv
  export PATH="$HOME/.local/bin:$PATH"
fi
uv sync --frozen --quiet
