#!/usr/bin/env bash
# Builds PgBouncer 1.24.1 from Debian's source into bench/target and prints the binary's path:
#   pgbouncer="$(bench/pgbouncer-build.sh)" && bench/compare.sh --pgbouncer "$pgbouncer"
# Debian 12 packages PgBouncer 1.18, which cannot keep prepared statements in transaction pooling
# (pgbench -M prepared fails through it); 1.21 and later can. The newer Debian package needs a newer
# libc, so it is built from the same source Debian builds it from, with the checksum Debian publishes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version=1.24.1
sha256=da72a3aba13072876d055a3e58dd4aba4a5de4ed6148e73033185245598fd3e0
prefix="$root/bench/target/pgbouncer-$version"
binary="$prefix/bin/pgbouncer"
if [ -x "$binary" ]; then
  echo "$binary"
  exit 0
fi

missing=()
for tool in gcc make pkg-config curl; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
# gcc only recommends the C library's headers, and images often leave recommendations out.
[ -e /usr/include/stdio.h ] || missing+=(libc6-dev)
pkg-config --exists libevent 2>/dev/null || missing+=(libevent-dev)
pkg-config --exists openssl 2>/dev/null || missing+=(libssl-dev)
"$root/bench/install-packages.sh" pgbouncer-build "${missing[@]}"

build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
echo "pgbouncer-build: fetching and building PgBouncer $version..." >&2
curl -fsS --max-time 300 -o "$build/source.tar.gz" \
  "http://deb.debian.org/debian/pool/main/p/pgbouncer/pgbouncer_$version.orig.tar.gz"
# Only the binary's path goes to standard output, for the caller to capture.
echo "$sha256  $build/source.tar.gz" | sha256sum -c --quiet - >&2
tar xzf "$build/source.tar.gz" -C "$build"
(
  cd "$build/pgbouncer-$version"
  ./configure --prefix="$prefix" --without-cares --without-systemd --without-pam >"$build/configure.log" 2>&1 \
    || { cat "$build/configure.log" >&2; exit 1; }
  make -j"$(nproc)" >"$build/make.log" 2>&1 || { tail -40 "$build/make.log" >&2; exit 1; }
)
# Only the binary is needed. It takes its final name last, so that a build stopped halfway leaves
# nothing that the check at the top would take for a finished one.
mkdir -p "$prefix/bin"
cp "$build/pgbouncer-$version/pgbouncer" "$binary.partial"
mv "$binary.partial" "$binary"
echo "$binary"
