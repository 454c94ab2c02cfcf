#!/usr/bin/env bash
# Runs every test of the solution in Release and ends with the line "tests: N passed, N failed".
# Needs the .NET SDK, curl (the demo test pastes its printed curl commands into a shell) and python3-sklearn (the
# offline baseline of the learning tests); the last two are installed here when missing. Tests that read
# ../shared/data skip, saying why, when it is absent.
set -uo pipefail
cd "$(dirname "$0")"

command -v curl > /dev/null || (apt-get update && apt-get install -y curl)

# The scale-out tests (test/Freshet.Redis.Tests) start real redis-server processes and make a Redis Cluster with redis-cli.
if ! command -v redis-server > /dev/null || ! command -v redis-cli > /dev/null; then
  echo "installing redis-server and redis-tools (the scale-out tests) with apt-get…"
  (apt-get install -y redis-server redis-tools > /dev/null 2>&1 || (apt-get update > /dev/null && apt-get install -y redis-server redis-tools > /dev/null 2>&1)) \
    || echo "could not install redis-server"
  # Debian starts a redis-server service on 6379 after installing it; the tests use their own ports only.
fi

# The online-learning replays compare FTRL with scikit-learn's LogisticRegression (Debian's python3-sklearn, used
# through /usr/bin/python3); with FRESHET_REQUIRE_SKLEARN set, a missing scikit-learn fails them instead of skipping.
if ! /usr/bin/python3 -c "import sklearn" 2> /dev/null; then
  echo "installing python3-sklearn (the offline baseline of the learning tests) with apt-get…"
  (apt-get install -y python3-sklearn > /dev/null 2>&1 || (apt-get update > /dev/null && apt-get install -y python3-sklearn > /dev/null 2>&1)) \
    || echo "could not install python3-sklearn"
fi
export FRESHET_REQUIRE_SKLEARN=1

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
