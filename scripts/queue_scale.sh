#!/usr/bin/env bash
# Queues at scale: seeds a fresh database with examples/seed_cases.rs at 10,000 cases, measures
# claim-next, a filtered queue page and the statistics with examples/queue_scale.rs, grows it to
# 100,000 and measures again, then (PostgreSQL) to 1,000,000; prints the query plans at full
# size. SQLite by default; set DATABASE_URL=postgres://.../evisa_scale (created afresh, so it
# must not hold anything you keep) for PostgreSQL.
#
#   scripts/queue_scale.sh
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/evisa_scale scripts/queue_scale.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --example seed_cases --example queue_scale
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export EVISA_DATA_DIR="$work/data" EVISA_ADMIN_PASSWORD=Scale-test-admin-2027 RUST_LOG=warn
post="SEED-P07"
if [[ "${DATABASE_URL:-}" == postgres* ]]; then
    admin_url="${DATABASE_URL%/*}/postgres"
    name="${DATABASE_URL##*/}"
    psql "$admin_url" -q -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
    sizes="10000 100000 1000000"
    explain() { psql "$DATABASE_URL" -c "EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF) $1"; }
    now="LOCALTIMESTAMP"
    window="LOCALTIMESTAMP - INTERVAL '90 days'"
else
    sizes="10000 100000"
    explain() {
        python3 -c 'import sqlite3, sys
for row in sqlite3.connect(sys.argv[1]).execute("EXPLAIN QUERY PLAN " + sys.argv[2]): print(row[3])' \
            "$EVISA_DATA_DIR/evisa.db" "$1"
    }
    now="datetime('now')"
    window="datetime('now', '-90 days')"
fi
for size in $sizes; do
    ./target/release/examples/seed_cases "$size" 2>/dev/null
    ./target/release/examples/queue_scale
done
open="('submitted', 'in_review', 'info_requested', 'pending_approval')"
echo; echo "claim next:"
explain "SELECT id FROM cases WHERE post_code = '$post' AND status = 'submitted' ORDER BY priority DESC, decision_deadline, submitted_at, id LIMIT 1"
echo; echo "queue, first page (TOURIST, overdue), and its count:"
explain "SELECT * FROM cases WHERE post_code = '$post' AND status IN $open AND service_code = 'TOURIST' AND decision_deadline < $now ORDER BY priority DESC, decision_deadline, submitted_at, id LIMIT 20"
explain "SELECT COUNT(*) FROM cases WHERE post_code = '$post' AND status IN $open AND service_code = 'TOURIST' AND decision_deadline < $now"
echo; echo "statistics: counts by status, overdue, decisions of the last 90 days:"
explain "SELECT status, cases FROM case_counts WHERE post_code = '$post'"
explain "SELECT COUNT(*) FROM cases WHERE post_code = '$post' AND status IN $open AND decision_deadline < $now"
explain "SELECT service_code, submitted_at, decided_at FROM cases WHERE post_code = '$post' AND decided_at >= $window"
