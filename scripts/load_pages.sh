#!/usr/bin/env bash
# Load test of the portal's busiest anonymous pages (the landing page, a service's start page and
# the sign-in page) against GET /health in the same run. Needs wrk (apt-get install wrk). Starts
# the release binary on a fresh database (SQLite by default; set DATABASE_URL=postgres://... to an
# empty database for PostgreSQL) with rate limits off, and runs wrk from loopback: 64
# connections, 2 threads, 15 seconds a page after a 5-second warm-up.
#
#   scripts/load_pages.sh                      # SQLite
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/evisa_load scripts/load_pages.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet --bin evisa
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
export EVISA_DATA_DIR="$work/data" EVISA_BIND=127.0.0.1:18081 EVISA_ADMIN_PASSWORD=Load-test-admin-2027
export EVISA_VERIFY_RATE_LIMIT=0 EVISA_IP_RATE_LIMIT=0 RUST_LOG=warn
./target/release/evisa serve >/dev/null 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18081/ready >/dev/null && break; sleep 0.2; done
base=http://127.0.0.1:18081
wrk -t2 -c64 -d5s "$base/?lang=ru" >/dev/null
for page in /health "/?lang=ru" "/apply/LEGALISATION?lang=kk" "/login?lang=ru"; do
    echo "== GET $page"
    wrk -t2 -c64 -d15s --latency "$base$page" | grep -E "Requests/sec|50%|99%|Non-2xx"
done
echo "== resident memory of the server after the run"
grep VmRSS "/proc/$server/status"
