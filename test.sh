#!/usr/bin/env bash
# Restores, builds (Release, warnings as errors) and runs every test project, then prints one summary line:
#   N passed, N failed[, N skipped]
# Works from a fresh clone on a machine with the .NET SDK, Node.js and apt, as root or as a normal user.
# Integration servers the tests need are started here and stopped on exit (see tools/).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# In this script a missing integration server is a failure, never a skip.
export MIMISBRUNNR_REQUIRE_INTEGRATION=1

work="$(mktemp -d "${TMPDIR:-/tmp}/mimisbrunnr-test.XXXXXX")"
cleanup_hooks=()
cleanup() {
  local status=$?
  for hook in "${cleanup_hooks[@]}"; do eval "$hook" || true; done
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT INT TERM

# Integration servers (each script prints the environment variables the tests read).
for starter in tools/start-*.sh; do
  [ -e "$starter" ] || continue
  # shellcheck disable=SC1090
  source "$starter"
done

dotnet restore Mimisbrunnr.sln
dotnet build Mimisbrunnr.sln -c Release --no-restore

results="$work/results"
mkdir -p "$results"
status=0
# xunit v3 test projects are executables; running them directly gives one runner and one result format
# (the xunit v2 XML) whatever the SDK's 'dotnet test' mode is.
for project in tests/*/*.Tests.csproj; do
  name="$(basename "$project" .csproj)"
  dll="$(dirname "$project")/bin/Release/net10.0/$name.dll"
  echo "=== $name"
  if ! (cd "$(dirname "$dll")" && dotnet "$name.dll" -noLogo -noColor -noAutoReporters -result-xml "$results/$name.xml"); then
    status=1
  fi
done

# Sum the counters of every result file; a project that produced none counts as a failure.
passed=0 failed=0 skipped=0
for project in tests/*/*.Tests.csproj; do
  name="$(basename "$project" .csproj)"
  xml="$results/$name.xml"
  if [ ! -f "$xml" ]; then
    echo "no test results for $name" >&2
    failed=$((failed + 1))
    continue
  fi
  counters="$(grep -o '<assembly [^>]*>' "$xml" | head -n 1)"
  get() { printf '%s' "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  p="$(get passed)"; f="$(get failed)"; e="$(get errors)"; k="$(get skipped)"; n="$(get not-run)"
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${e:-0} + ${n:-0}))
  skipped=$((skipped + ${k:-0}))
done

if [ "$failed" -gt 0 ]; then status=1; fi
if [ "$passed" -eq 0 ]; then echo "no test passed" >&2; status=1; fi
summary="$passed passed, $failed failed"
if [ "$skipped" -gt 0 ]; then summary="$summary, $skipped skipped"; fi
echo "$summary"
exit "$status"
