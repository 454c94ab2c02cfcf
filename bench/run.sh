#!/usr/bin/env bash
# The benchmark suite: every figure of the performance budget (../shared/DESIGN.md) next to a Redis peer measured in
# the same run. Writes bench/results/latest.md and latest.json.
#   bench/run.sh --quick                 about 3 minutes (3 runs a figure, 1 M tiles)
#   bench/run.sh                         the full run, under 20 minutes (5 runs, 10 M tiles, 20,000 reads/s)
#   bench/run.sh --only ingest,memory    some scenarios only
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server > /dev/null; then
  echo "installing redis-server (the peer) with apt-get…"
  (apt-get install -y redis-server > /dev/null 2>&1 || (apt-get update > /dev/null && apt-get install -y redis-server > /dev/null)) \
    || echo "could not install redis-server: the report will have no peer"
fi

dotnet build bench/Freshet.BenchSuite -c Release --nologo -v q -clp:ErrorsOnly
exec dotnet bench/Freshet.BenchSuite/bin/Release/net10.0/freshet-bench.dll "$@"
