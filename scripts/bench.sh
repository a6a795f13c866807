#!/usr/bin/env bash
# Side-by-side throughput: redis-benchmark against real redis-server 7.0 and Rhea, on
# loopback, same flags, one after the other; prints requests/s and the Rhea/Redis ratio.
# Usage: scripts/bench.sh [requests] [clients] [pipeline]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200000}; C=${2:-50}; P=${3:-1}
cargo build --release -q
RHEA=./target/release/rhea
port_redis=$((20000 + RANDOM % 10000)); port_rhea=$((port_redis + 1))
tmp=$(mktemp -d)
redis-server --port $port_redis --save '' --appendonly no --daemonize no --dir "$tmp" >"$tmp/redis.log" 2>&1 &
pid_redis=$!
$RHEA server --port $port_rhea --save '' --dir "$tmp" >"$tmp/rhea.log" 2>&1 &
pid_rhea=$!
trap 'kill $pid_redis $pid_rhea 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
for p in $port_redis $port_rhea; do
    for _ in $(seq 100); do redis-cli -p $p ping >/dev/null 2>&1 && break; sleep 0.05; done
done
printf "%-8s %14s %14s %8s\n" test redis rhea ratio
for t in ping_mbulk set get incr lpush lpop sadd hset zadd mset; do
    r=$(redis-benchmark -p $port_redis -n "$N" -c "$C" -P "$P" -t $t -q --csv | tail -1 | cut -d, -f2 | tr -d '"')
    o=$(redis-benchmark -p $port_rhea -n "$N" -c "$C" -P "$P" -t $t -q --csv | tail -1 | cut -d, -f2 | tr -d '"')
    ratio=$(python3 -c "print('%.2f' % (float('$o')/float('$r')))")
    printf "%-8s %14s %14s %8s\n" "$t" "$r" "$o" "$ratio"
done
# BGSAVE under load (p99, save time, peak memory) and startup load time, side by side.
python3 scripts/bench_persist.py "${BENCH_KEYS:-1000000}"
python3 scripts/bench_repl.py "${BENCH_KEYS:-1000000}"
# Failover on the seed deployment in network namespaces (root only), Rhea vs Redis.
python3 scripts/bench_failover.py --runs "${BENCH_FAILOVER_RUNS:-10}"
