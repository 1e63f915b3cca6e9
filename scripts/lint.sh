#!/usr/bin/env bash
# Lint and types as CI checks them: ruff's rules, ruff's formatting, and mypy ([tool.mypy] in
# pyproject.toml says what it checks and how strictly).
#   scripts/lint.sh                       with .venv (set up with the test tools if they are missing)
#   VENV=/path/to/venv scripts/lint.sh    with another virtualenv
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/mypy" ] || [ ! -x "$VENV/bin/ruff" ]; then
  scripts/setup.sh test
fi
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
"$VENV/bin/mypy"
