#!/usr/bin/env bash
# Command 1: install Lifebuoy into .venv and serve it on https://127.0.0.1:8443
# (SQLite, one process, a local certificate, the demo organization).
# Running it again reuses the database, keys and certificates it made.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/lib.sh

ensure_venv ""
exec .venv/bin/lifebuoy serve "$@"
