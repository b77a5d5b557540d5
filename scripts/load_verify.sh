#!/usr/bin/env bash
# Load test of the verification hot path, POST /api/v1/verify, against GET /health in the same
# run. Needs wrk (apt-get install wrk). Seeds 10,000 issued visas in a fresh database (SQLite by
# default; set DATABASE_URL=postgres://... to an empty database for PostgreSQL), starts the
# release binary with rate limits off, and runs wrk from loopback: 64 connections, 2 threads, after a
# 10-second warm-up of the verification path.
#
#   scripts/load_verify.sh                      # SQLite
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/evisa_load scripts/load_verify.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet --bin evisa --example seed_visas
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
export EVISA_DATA_DIR="$work/data" EVISA_BIND=127.0.0.1:18080 EVISA_ADMIN_PASSWORD=Load-test-admin-2027
export EVISA_VERIFY_RATE_LIMIT=0 EVISA_IP_RATE_LIMIT=0 RUST_LOG=warn
key=$(./target/release/examples/seed_visas 10000 "$work/bodies.txt" | tail -n 1)
./target/release/evisa serve >/dev/null 2>&1 &
server=$!
for _ in $(seq 1 50); do curl -sf http://127.0.0.1:18080/ready >/dev/null && break; sleep 0.2; done
cat > "$work/verify.lua" <<LUA
local bodies = {}
for line in io.lines("$work/bodies.txt") do bodies[#bodies + 1] = line end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
request = function()
  return wrk.format(nil, "/api/v1/verify", nil, bodies[math.random(#bodies)])
end
LUA
# Warm-up, not counted: every visa is read from the database once before the verification
# service keeps a copy (about 90,000 random picks see all 10,000), then it is answered from memory.
wrk -t2 -c64 -d10s -s "$work/verify.lua" http://127.0.0.1:18080 >/dev/null
echo "== GET /health (the framework's ceiling)"
wrk -t2 -c64 -d15s --latency http://127.0.0.1:18080/health | grep -E "Requests/sec|50%|99%"
echo "== POST /api/v1/verify (10,000 visas, random picks, every check logged)"
# /metrics is read half-way through the run, as a monitoring system would scrape it.
(sleep 7; curl -s http://127.0.0.1:18080/metrics > "$work/metrics.txt") &
wrk -t2 -c64 -d15s --latency -s "$work/verify.lua" http://127.0.0.1:18080 | grep -E "Requests/sec|50%|99%|Non-2xx"
echo "== /metrics during the run"
grep -E '^verification_checks_total|^http_requests_total\{method="POST",route="/api/v1/verify"' "$work/metrics.txt"
echo "== resident memory of the server after the run"
grep VmRSS "/proc/$server/status"
