#!/usr/bin/env bash
# The main job: set up, then run the bot (web chat on the demo school, plus Telegram and
# WhatsApp when their settings are given). Settings come from the environment or .env.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/ustaz run "$@"
