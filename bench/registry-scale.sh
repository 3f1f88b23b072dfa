#!/usr/bin/env bash
# Registry at scale: 10,000 organizations and 100,000 users (or the sizes given), against 10 organizations.
# Usage: bench/registry-scale.sh [ORGS] [USERS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mvn -q -B -DskipTests install >&2
mvn -q -B -pl proxy-server test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath >&2
exec java -Xmx2g -cp "proxy-server/target/test-classes:proxy-server/target/classes:$(cat proxy-server/target/bench.classpath)" \
  dev.pgtenant.proxy.bench.RegistryScaleBenchmark "$@"
