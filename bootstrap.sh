#!/bin/sh
# What README's two commands need from a fresh Debian machine that has only python3: `make`
# and `python3-venv` (with --test also what CI wants: redis-server, chromium, openssl and postgresql), installed
# from Debian's packages when missing. POSIX sh, since nothing else may be there yet.
#   sh bootstrap.sh           then: make run / make test
set -eu
missing=""
command -v make >/dev/null 2>&1 || missing="$missing make"
python3 -c "import ensurepip, venv" >/dev/null 2>&1 || missing="$missing python3-venv"
if [ "${1:-}" = "--test" ]; then
  command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
  command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
  command -v openssl >/dev/null 2>&1 || missing="$missing openssl"  # the TLS tests' certificates
  # Debian keeps PostgreSQL's server binaries out of PATH (/usr/lib/postgresql/<v>/bin).
  if ! command -v pg_ctl >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1
  then
    missing="$missing postgresql"
  fi
fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "missing:$missing. Install them, on Debian: sudo apt-get install$missing" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086  # one word per package
apt-get install -y -qq --no-install-recommends $missing
