#!/usr/bin/env bash
# Sets up everything the tests need and runs them on SQLite and on the running PostgreSQL.
#   scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test

# The browser test drives Debian's chromium (no browser downloads).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is missing: install Debian's chromium package (the browser test will be skipped)" >&2
  fi
fi
# PDFs with Kazakh letters need a font that has them.
if [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core >/dev/null
fi

# PostgreSQL must answer on 127.0.0.1:5432 (trust auth, database test).
if ! .venv/bin/python - <<'PY'
import asyncio, asyncpg
async def ping():
    conn = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/test", timeout=5)
    await conn.close()
asyncio.run(ping())
PY
then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  else
    echo "PostgreSQL is not running on 127.0.0.1:5432" >&2
    exit 1
  fi
fi

exec .venv/bin/python -m pytest "$@"
