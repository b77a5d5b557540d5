#!/usr/bin/env bash
# Load test of the verification hot path against GET /health in the same run. Needs wrk
# (apt-get install wrk). Seeds 10,000 issued visas (one in twenty revoked) in a fresh database
# (SQLite by default; set DATABASE_URL=postgres://... to an empty database for PostgreSQL),
# starts the release binary with rate limits off, and runs wrk from loopback: 64 connections,
# 2 threads. After a 10-second warm-up of each mix, ROUNDS rounds (3 unless set) each run
# GET /health then every mix for 5 s, and a mix's ratio is its requests over /health's summed
# over the rounds: the machine's speed drifts within minutes, and a ratio of runs minutes apart
# measured the drift. A mix's p99 is that of all its requests in the rounds together (wrk's
# histograms of each round, added up); the worst single round's p99 is shown beside it. The
# mixes, by name:
#
#   known    POST /api/v1/verify, random valid visas with their passport
#   border   POST /api/v1/verify, what a border sees: 60% numbers never issued (each different),
#            25% valid visas, 10% valid visas with a wrong passport, 5% revoked visas
#   token    POST /api/v1/verify/token, the QR token of a random visa
#
#   scripts/load_verify.sh                      # every mix, SQLite
#   scripts/load_verify.sh border token         # some mixes
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/evisa_load scripts/load_verify.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
mixes=("$@")
[ ${#mixes[@]} -gt 0 ] || mixes=(known border token)
cargo build --release --quiet --bin evisa --example seed_visas
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
export EVISA_DATA_DIR="$work/data" EVISA_BIND=127.0.0.1:18080 EVISA_ADMIN_PASSWORD=Load-test-admin-2027
export EVISA_VERIFY_RATE_LIMIT=0 EVISA_IP_RATE_LIMIT=0 RUST_LOG=warn
key=$(./target/release/examples/seed_visas 10000 "$work/bodies" | tail -n 1)
# The seeding's writes go to disk now, not in a burst amid the measured rounds (the kernel
# writes dirty pages out 30 s after they were written, or at the database's next checkpoint).
sync
./target/release/evisa serve >/dev/null 2>&1 &
server=$!
for _ in $(seq 1 50); do curl -sf http://127.0.0.1:18080/ready >/dev/null && break; sleep 0.2; done
script() { # mix, path
  # Each request is formatted once, when wrk starts: formatting it per request in Lua would cost
  # wrk about 3 µs more CPU a request, on the two cores it shares with the server.
  cat > "$work/$1.lua" <<LUA
local requests = {}
local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer $key" }
for line in io.lines("$work/bodies/$1.txt") do
  requests[#requests + 1] = wrk.format("POST", "$2", headers, line)
end
request = function()
  return requests[math.random(#requests)]
end
LUA
  histogram "$1"
}
histogram() { # mix: wrk appends its latency histogram (µs and count) to $work/<mix>.hist after each run
  cat >> "$work/$1.lua" <<LUA
done = function(summary, latency, requests)
  local out = io.open("$work/$1.hist", "a")
  for i = 1, #latency do
    local value, count = latency(i)
    out:write(value, " ", count, "\\n")
  end
  out:close()
end
LUA
}
histogram health
script known /api/v1/verify
script border /api/v1/verify
script token /api/v1/verify/token
rounds=${ROUNDS:-3}
for mix in "${mixes[@]}"; do
  # Warm-up, not counted: visas are read from the database once before they are kept.
  wrk -t2 -c64 -d10s -s "$work/$mix.lua" http://127.0.0.1:18080 >/dev/null
done
rm -f "$work"/*.hist
declare -A served worst
for _ in $(seq 1 "$rounds"); do
  for mix in health "${mixes[@]}"; do
    if [ "$mix" = health ]; then
      out=$(wrk -t2 -c64 -d5s --latency -s "$work/health.lua" http://127.0.0.1:18080/health)
    else
      out=$(wrk -t2 -c64 -d5s --latency -s "$work/$mix.lua" http://127.0.0.1:18080)
    fi
    if echo "$out" | grep -q "Non-2xx"; then echo "$mix: $(echo "$out" | grep Non-2xx)" >&2; fi
    rate=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
    served[$mix]=$(awk -v a="${served[$mix]:-0}" -v b="$rate" 'BEGIN {print a + b}')
    worst[$mix]=$(awk -v a="${worst[$mix]:-0ms}" -v b="$p99" 'function ms(x) {
      if (x ~ /us$/) return x / 1000; if (x ~ /ms$/) return x + 0; return x * 1000 }
      BEGIN {print (ms(b) > ms(a)) ? b : a}')
  done
done
pooled_p99() { # mix: the 99th percentile of every request of the rounds, from their histograms
  sort -n "$work/$1.hist" | awk '{ value[NR] = $1; count[NR] = $2; total += $2 }
    END { for (i = 1; i <= NR; i++) { seen += count[i]; if (seen >= 0.99 * total) { printf "%.2fms", value[i] / 1000; exit } } }'
}
echo "== $rounds rounds of 5 s each, in turn; ratios to GET /health, the framework's ceiling"
for mix in health "${mixes[@]}"; do
  awk -v name="$mix" -v sum="${served[$mix]}" -v base="${served[health]}" -v n="$rounds" -v p99="$(pooled_p99 "$mix")" \
    -v worst="${worst[$mix]}" \
    'BEGIN {printf "%-7s %8.0f req/s  ratio %.3f  p99 %s (worst round %s)\n", name, sum / n, sum / base, p99, worst}'
done
echo "== checks by result"
curl -s http://127.0.0.1:18080/metrics | grep -E '^verification_checks_total'
echo "== resident memory of the server after the run"
grep VmRSS "/proc/$server/status"
