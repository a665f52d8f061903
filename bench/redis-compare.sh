#!/usr/bin/env bash
# Runs redis-benchmark against Redis 7 (Debian's redis-server, persistence off, loopback) and against the Nibble
# server, alternating between the two for each round, and prints the ours/Redis ratio per test (median of rounds).
#
#   bench/redis-compare.sh [rounds] [requests]      defaults: 5 rounds, 500000 requests
#
# Many requests per test keep the run of each test long: with --threads, redis-benchmark times to about 0.25 s.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROUNDS="${1:-5}"
N="${2:-500000}"
REDIS_PORT=6401
NIBBLE_PORT=6402
OUT="${BENCH_OUT:-bench-out/redis-compare}"
mkdir -p "$OUT"

for tool in redis-server redis-benchmark; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install redis-server redis-tools)" >&2; exit 2; }
done

./nibble build >/dev/null
DATA="$(mktemp -d)"
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --dir "$DATA" --daemonize no \
  > "$OUT/redis.log" 2>&1 &
REDIS_PID=$!
./nibble server --port "$NIBBLE_PORT" --capacity 2g > "$OUT/nibble.log" 2>&1 &
NIBBLE_PID=$!
trap 'kill $REDIS_PID $NIBBLE_PID 2>/dev/null; wait 2>/dev/null; rm -rf "$DATA"' EXIT
for port in $REDIS_PORT $NIBBLE_PORT; do
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.2; done
done

VARIANTS=("" "-P 16" "--threads 2")
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(redis-server --version | cut -d' ' -f3)"
echo "command: redis-benchmark -t set,get -n $N -d 1024 -r 100000 -q <variant>, $ROUNDS rounds, alternating, order flipped each round"
: > "$OUT/raw.csv"
# Warm-up, not counted: lets the JVM compile its hot paths before measuring.
for port in $REDIS_PORT $NIBBLE_PORT; do
  redis-benchmark -p "$port" -t set,get -n "$N" -d 1024 -r 100000 -P 16 -q >/dev/null 2>&1
  redis-benchmark -p "$port" -t set,get -n "$N" -d 1024 -r 100000 -q >/dev/null 2>&1
done
# Within a round the two servers run back to back, and the order flips every round, so a slow spell of the machine
# falls on both; the ratio of each round is taken before the median.
for round in $(seq "$ROUNDS"); do
  for variant in "${VARIANTS[@]}"; do
    order=(redis nibble)
    (( round % 2 == 0 )) && order=(nibble redis)
    for target in "${order[@]}"; do
      port=$([[ $target == redis ]] && echo $REDIS_PORT || echo $NIBBLE_PORT)
      # shellcheck disable=SC2086
      redis-benchmark -p "$port" -t set,get -n "$N" -d 1024 -r 100000 --csv $variant 2>/dev/null \
        | tail -n +2 | tr -d '"' | awk -F, -v t="$target" -v v="${variant:-plain}" -v r="$round" \
          '{print r "," t "," v "," $1 "," $2}' >> "$OUT/raw.csv"
    done
  done
done

median() { sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
echo
printf '%-12s %-5s %12s %12s %8s %15s\n' variant test "redis rps" "nibble rps" ratio "ratio range"
for variant in plain "-P 16" "--threads 2"; do
  for test in SET GET; do
    rps() { grep ",$1,$variant,$test," "$OUT/raw.csv" | sort -t, -k1,1n | cut -d, -f5; }
    ratios=$(paste -d' ' <(rps nibble) <(rps redis) | awk '{printf "%.3f\n", $1 / $2}')
    printf '%-12s %-5s %12.0f %12.0f %8.2f %15s\n' "$variant" "$test" "$(rps redis | median)" \
      "$(rps nibble | median)" "$(echo "$ratios" | median)" \
      "$(echo "$ratios" | sort -g | sed -n '1p;$p' | paste -sd- | sed 's/^/[/;s/$/]/')"
  done
done
echo "ratio: median over rounds of nibble/redis within the round; raw results: $OUT/raw.csv"

# Both servers now hold the same keys (the last SETs of the same key range): their whole-process resident memory,
# as each reports it in INFO (used_memory_rss: VmRSS for both).
rss() { redis-cli -p "$1" info memory | tr -d '\r' | awk -F: '$1 == "used_memory_rss" {print $2}'; }
keys() { redis-cli -p "$1" dbsize; }
awk -v r="$(rss $REDIS_PORT)" -v n="$(rss $NIBBLE_PORT)" -v rk="$(keys $REDIS_PORT)" -v nk="$(keys $NIBBLE_PORT)" \
  'BEGIN {printf "resident memory after the runs: redis %d bytes (%d keys), nibble %d bytes (%d keys), ratio %.2f\n",
          r, rk, n, nk, n / r}'
