#!/usr/bin/env bash
# Catalogs: extract every translatable string, merge it into kk and ru, compile.
#   scripts/i18n.sh           extract + update + compile (after changing texts)
#   scripts/i18n.sh compile   compile only (set-up of a fresh clone)
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=${PYBABEL:-.venv/bin/pybabel}
if [ "${1:-all}" != "compile" ]; then
  "$PYBABEL" -q extract -F babel.cfg -k N_ -k n_:1,2 -k ngettext:1,2 --no-location --sort-output --no-wrap \
    --project=Ustaz --copyright-holder="Ustaz" --msgid-bugs-address="dev@ustaz.kz" \
    -o locales/messages.pot .
  for lang in kk ru; do
    if [ -f "locales/$lang/LC_MESSAGES/messages.po" ]; then
      "$PYBABEL" -q update -i locales/messages.pot -d locales -D messages -l "$lang" --no-fuzzy-matching --ignore-obsolete --no-wrap
    else
      "$PYBABEL" -q init -i locales/messages.pot -d locales -D messages -l "$lang"
    fi
  done
  # Only the creation date changed: keep the committed files (no churn, no merge conflicts).
  if git rev-parse --git-dir >/dev/null 2>&1 && git diff --quiet -I 'POT-Creation-Date' -- locales/; then
    git checkout -q -- locales/
  fi
fi
# A catalog with an error is not compiled: stop here rather than show English.
out=$("$PYBABEL" -q compile -d locales -D messages 2>&1) || true
if printf '%s' "$out" | grep -qi "error"; then
  printf '%s\n' "$out" >&2
  exit 1
fi
