#!/usr/bin/env bash
# pgtenant side by side with PgBouncer and PostgreSQL direct: see docs/benchmarks.md.
# Usage: bench/compare.sh [--mode short|full] [--rounds N] [--scenario NAME]... [--pgbouncer PATH]
#          [--postgres postgresql://USER:PASSWORD@HOST:PORT/postgres] [--out FILE]
#          [--pgtenant-jar JAR] [--pgtenant-jvm-option OPTION]...
# Builds pgtenant, installs PgBouncer and pgbench from Debian when missing (as root), starts an
# embedded PostgreSQL unless --postgres gives one, and writes a Markdown report to bench/results/.
# --pgbouncer runs another PgBouncer binary, such as the one bench/pgbouncer-build.sh builds.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Paths given relative to where the script is run from, before it moves to the repository root.
# A --pgbouncer without a slash is a command looked up on the PATH, as the default "pgbouncer" is.
args=()
while [ $# -gt 0 ]; do
  args+=("$1")
  case "$1" in
    --pgbouncer | --out | --pgtenant-jar)
      if [ $# -gt 1 ]; then
        shift
        case "$1" in
          /*) args+=("$1") ;;
          */*) args+=("$PWD/$1") ;;
          *) if [ "${args[-1]}" = --pgbouncer ]; then args+=("$1"); else args+=("$PWD/$1"); fi ;;
        esac
      fi
      ;;
  esac
  shift
done
cd "$root"

missing=()
command -v pgbouncer >/dev/null || missing+=(pgbouncer)
command -v pgbench >/dev/null || missing+=(postgresql-client)
"$root/bench/install-packages.sh" bench "${missing[@]}"
# 10,000 idle clients need as many descriptors in the proxy and in the harness that opens them.
ulimit -n "$(ulimit -Hn)"

echo "bench: building..." >&2
mvn -q -B -DskipTests install >&2
exec java -cp bench/target/pgtenant-bench.jar dev.pgtenant.bench.Compare ${args[@]+"${args[@]}"}
