#!/usr/bin/env bash
# Measures GET /api/v1/stats/overview over N deals on MariaDB: builds the
# binary, migrates a fresh database, bulk-inserts N transactions (MariaDB's
# sequence engine), then times uncached requests (each market and year is
# a distinct cache key) with curl. Usage: scripts/statsbench/run.sh [N]
set -euo pipefail
N=${1:-100000}
cd "$(dirname "$0")/../.."
DB=techmarket_statsbench_$RANDOM
BIN=$(mktemp -d)/techmarket
DATA=$(mktemp -d)
PORT=18555
go build -o "$BIN" ./cmd/techmarket
mariadb -h 127.0.0.1 -u root -e "CREATE DATABASE $DB CHARACTER SET utf8mb4"
trap 'kill $PID 2>/dev/null || true; mariadb -h 127.0.0.1 -u root -e "DROP DATABASE IF EXISTS $DB"' EXIT
export TECHMARKET_DB_DSN="root@tcp(127.0.0.1:3306)/$DB" TECHMARKET_DATA_DIR=$DATA TECHMARKET_ADDR=127.0.0.1:$PORT \
  TECHMARKET_BCRYPT_COST=4 TECHMARKET_REDIS_URL=redis://127.0.0.1:6379/0 TECHMARKET_REDIS_PREFIX="statsbench$RANDOM:" TECHMARKET_LOG_LEVEL=warn
"$BIN" migrate >/dev/null
"$BIN" admin create --account bench@example.com --password bench-pass-1 >/dev/null
START=$(date +%s.%N)
mariadb -h 127.0.0.1 -u root "$DB" -e "
INSERT INTO transactions (id, market, channel, contract_type, contract_no, title, buyer_org_id, seller_org_id,
  contract_amount_fen, declared_tech_amount_fen, tech_amount_fen, paid_fen, status, signed_at, cancel_reason,
  created_by_org_id, created_at, updated_at)
SELECT CONCAT('B', LPAD(seq, 25, '0')),
  IF(seq % 3 = 0, 'guizhong', 'liuzhou'), IF(seq % 4 = 0, 'online', 'offline'),
  ELT(1 + seq % 5, 'development', 'transfer', 'license', 'consulting', 'service'),
  CONCAT('BENCH-', seq), '基准合同', 'buyer', 'seller', 1000000 + seq, 800000, 800000, 0,
  ELT(1 + seq % 6, 'signed', 'registered', 'paid', 'completed', 'completed', 'cancelled'),
  DATE_ADD('2025-01-01', INTERVAL seq % 700 DAY), '', 'op', NOW(6), NOW(6)
FROM seq_1_to_$N;"
echo "inserted $N deals in $(echo "$(date +%s.%N) - $START" | bc) s"
"$BIN" serve & PID=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
TOKEN=$(curl -sf -XPOST "http://127.0.0.1:$PORT/api/v1/auth/login" -d '{"account":"bench@example.com","password":"bench-pass-1"}' | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
for q in "year=2025" "year=2025&market=liuzhou" "year=2025&market=guizhong" "year=2026" "year=2026&market=liuzhou" "year=2026&market=guizhong"; do
  curl -s -o /dev/null -w "uncached  $q  %{time_total}s\n" -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/stats/overview?$q"
done
for _ in 1 2 3; do
  curl -s -o /dev/null -w "cached    year=2025  %{time_total}s\n" -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/stats/overview?year=2025"
done
