#!/usr/bin/env bash
# Build the self-contained applet: one executable that needs no Python on the
# customer's machine (PyInstaller one-file; docs/decisions/0012-applet-packaging.md).
#
#   scripts/build-applet.sh            build dist/lifebuoy-applet (skipped when
#                                      the sources are unchanged since the last build)
#   scripts/build-applet.sh --force    build even so
#
# Uses the project's .venv (./test.sh installs PyInstaller into it with the
# test extras). Prints the path of the executable as its last line.
set -euo pipefail
cd "$(dirname "$0")/.."

python=.venv/bin/python
name=lifebuoy-applet
dist=dist
work=build/applet
binary="$dist/$name"
stamp="$dist/.$name.sources"

if ! "$python" -c 'import PyInstaller' 2>/dev/null; then
  echo "PyInstaller is not in .venv: run ./test.sh once, or" >&2
  echo "  .venv/bin/pip install -c constraints.txt pyinstaller" >&2
  exit 1
fi

# What the executable is made of: the applet and protocol sources, this
# script, and the pinned versions. Unchanged: nothing to do.
sources="$(
  {
    find src/lifebuoy/applet src/lifebuoy/protocol -name '*.py' -print0 |
      sort -z | xargs -0 sha256sum
    sha256sum src/lifebuoy/__init__.py "$0" constraints.txt
    "$python" --version
  } | sha256sum | cut -c1-32
)"
if [ "${1:-}" != "--force" ] && [ -x "$binary" ] && [ -f "$stamp" ] &&
  [ "$(cat "$stamp")" = "$sources" ]; then
  echo "$binary is up to date" >&2
  echo "$binary"
  exit 0
fi

mkdir -p "$work" "$dist"
cat >"$work/entry.py" <<'PY'
import sys

from lifebuoy.applet.__main__ import main

sys.exit(main())
PY

started=$(date +%s)
"$python" -m PyInstaller \
  --onefile \
  --console \
  --name "$name" \
  --distpath "$dist" \
  --workpath "$work/work" \
  --specpath "$work" \
  --noconfirm \
  --clean \
  --log-level WARN \
  --exclude-module django \
  --exclude-module pytest \
  --exclude-module numpy \
  "$work/entry.py" >&2
echo "$sources" >"$stamp"
echo "built $binary: $(du -h "$binary" | cut -f1) in $(($(date +%s) - started)) s" >&2
echo "$binary"
