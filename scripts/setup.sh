#!/usr/bin/env bash
# Sets up a fresh clone: a virtualenv with the pinned packages, and the compiled catalogs.
#   scripts/setup.sh          what `ustaz run` needs
#   scripts/setup.sh test     plus the test tools
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
extra=""
[ "${1:-}" = "test" ] && extra="[test]"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
# requirements.lock pins every package to the versions the tests passed with.
.venv/bin/python -m pip install -q --disable-pip-version-check -c requirements.lock -e ".${extra}"
scripts/i18n.sh compile >/dev/null
