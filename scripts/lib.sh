# Shared steps of ./run.sh and ./test.sh. Sourced, not run.

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  say "Installing from Debian: $*"
  if [ -z "${LIFEBUOY_APT_UPDATED:-}" ]; then
    as_root apt-get update -qq
    LIFEBUOY_APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pick_python() {
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      echo "$candidate"
      return
    fi
  done
  echo "Lifebuoy needs Python 3.11 or newer (apt-get install python3)." >&2
  exit 1
}

# ensure_venv EXTRAS: create .venv and install pinned dependencies; a stamp of
# the inputs makes the second run skip pip entirely.
ensure_venv() {
  local extras="$1" python stamp want
  python="$(pick_python)"
  if [ ! -x .venv/bin/python ]; then
    if ! "$python" -m venv .venv 2>/dev/null; then
      rm -rf .venv
      apt_install python3-venv
      "$python" -m venv .venv
    fi
  fi
  stamp=.venv/.lifebuoy-installed
  want="$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)-${extras}"
  if [ -f "$stamp" ] && grep -qx -- "$want" "$stamp"; then
    return
  fi
  say "Installing Python packages into .venv (pinned by constraints.txt)"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  if [ -n "$extras" ]; then
    .venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[$extras]"
  else
    .venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e .
  fi
  echo "$want" >"$stamp"
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_port() {
  for _ in $(seq 1 60); do
    port_open "$1" && return 0
    sleep 0.5
  done
  echo "Nothing answers on 127.0.0.1:$1" >&2
  return 1
}
