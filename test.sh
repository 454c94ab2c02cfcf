#!/usr/bin/env bash
# Runs every test of the solution in Release and ends with the line "tests: N passed, N failed".
# Needs the .NET SDK and curl (installed here when missing: the demo test pastes its printed curl commands into a
# shell). Tests that read ../shared/data skip, saying why, when it is absent.
set -uo pipefail
cd "$(dirname "$0")"

command -v curl > /dev/null || (apt-get update && apt-get install -y curl)

log=$(mktemp)
trap 'rm -f "$log"' EXIT

dotnet test Freshet.slnx -c Release --nologo 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# One summary line per test assembly: "Passed!  - Failed:     0, Passed:    15, Skipped:     0, Total:    15, ..."
read -r passed failed skipped < <(awk '
  /(Passed|Failed)! +- Failed:/ {
    gsub(",", "");
    for (i = 1; i <= NF; i++) {
      if ($i == "Failed:") f += $(i + 1);
      if ($i == "Passed:") p += $(i + 1);
      if ($i == "Skipped:") s += $(i + 1);
    }
  }
  END { printf "%d %d %d\n", p, f, s }' "$log")

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # The build or a test host failed before any test could report: count that as a failure, never as a pass.
  failed=1
fi

echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
