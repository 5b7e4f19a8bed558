#!/usr/bin/env bash
# Command 2: install what the tests need, then lint, type-check and test.
# Chromium, Xvfb and Node.js come from Debian when missing; PostgreSQL and
# Redis are used on 127.0.0.1 when they run, installed and started otherwise.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/lib.sh

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v Xvfb >/dev/null || missing+=(xvfb xauth)
command -v xrandr >/dev/null || missing+=(x11-xserver-utils) # monitor changes
command -v node >/dev/null || missing+=(nodejs)
fc-list 2>/dev/null | grep -qi dejavu || missing+=(fonts-dejavu-core)
if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi

if ! port_open 5432; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install postgresql
  fi
  say "Starting PostgreSQL"
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  wait_port 5432
  as_root su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'lifebuoy-test'\"" >/dev/null
fi
if ! port_open 6379; then
  command -v redis-server >/dev/null || apt_install redis-server
  say "Starting Redis"
  as_root redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  wait_port 6379
fi

ensure_venv test

# The applet's window needs Tk, and its self-contained build (PyInstaller)
# needs Python as a shared library: Debian ships both as separate packages.
if ! .venv/bin/python -c 'import tkinter' 2>/dev/null; then
  apt_install python3-tk
fi
if ! .venv/bin/python -c 'from PyInstaller.depend.bindepend import get_python_library_path as f; f()' >/dev/null 2>&1; then
  apt_install "libpython3.$(.venv/bin/python -c 'import sys; print(sys.version_info[1])')"
fi

say "ruff check"
.venv/bin/ruff check .
say "ruff format --check"
.venv/bin/ruff format --check .
say "mypy --strict"
.venv/bin/mypy
say "node --test (the console's JavaScript)"
node --test tests/js/
say "pytest"
.venv/bin/pytest "$@"
