#!/usr/bin/env bash
# Installs the Debian packages named, as root; otherwise says which to install and fails.
# Usage: bench/install-packages.sh WHO PACKAGE... (WHO prefixes the messages)
set -euo pipefail
who="$1"
shift
[ $# -gt 0 ] || exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "$who: install $* (Debian packages) first, or run as root to have them installed" >&2
  exit 1
fi
echo "$who: installing $*..." >&2
apt-get install -y -q "$@" >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q "$@" >/dev/null; }
