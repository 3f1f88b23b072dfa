#!/usr/bin/env bash
# JMH microbenchmarks of the relay hot path, with allocation per relayed message (-prof gc: gc.alloc.rate.norm).
# Usage: bench/jmh.sh [JMH options, e.g. -f 2 -wi 5]; see docs/benchmarks.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mvn -q -B -DskipTests install >&2
exec java -jar bench/target/pgtenant-bench.jar RelayBenchmark -prof gc "$@"
