#!/usr/bin/env bash
# End-to-end load: the sample server, as a separate process over HTTP on 127.0.0.1, against bare Kestrel baselines,
# in alternating rounds. Results: stdout, and (for a run of all scenarios) benchmarks/results/EndToEnd.md unless
# --markdown names another file.
#
#   ./benchmarks/run-e2e.sh [--rounds 3] [--scenario ingest|delivery|latency|scale|all] [--duration 12] [--help]
set -euo pipefail
cd "$(dirname "$0")/.."

# wrk drives the ingest scenarios when installed; as root, try to install it (Debian's package), else go on without.
if ! command -v wrk >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get install -y -q wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q wrk >/dev/null 2>&1; } \
    || echo "wrk could not be installed: the built-in generator drives ingest" >&2
fi

# Release builds of the sample server and the tool; their output only when a build fails.
build() {
  local out
  out=$(dotnet build "$1" -c Release --nologo -v quiet 2>&1) || { echo "$out" >&2; exit 1; }
}
build samples/Mimisbrunnr.Server
build benchmarks/Mimisbrunnr.LoadTest

# A run of every scenario rewrites the results file; a partial run writes only where --markdown says.
markdown=(--markdown benchmarks/results/EndToEnd.md)
previous=
for arg in "$@"; do
  if [ "$arg" = "--markdown" ] || { [ "$previous" = "--scenario" ] && [ "$arg" != all ]; }; then markdown=(); fi
  previous=$arg
done

export E2E_COMMAND="./benchmarks/run-e2e.sh${*:+ $*}"
exec dotnet benchmarks/Mimisbrunnr.LoadTest/bin/Release/net10.0/Mimisbrunnr.LoadTest.dll --repo "$PWD" "${markdown[@]}" "$@"
