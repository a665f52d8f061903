#!/usr/bin/env bash
# Runs redis-benchmark against Redis 7 (Debian's redis-server, persistence off, loopback) and against the Nibble
# server, alternating between the two for each round, and prints the ours/Redis ratio per test (median of rounds).
#
#   bench/redis-compare.sh [rounds] [requests]      defaults: 3 rounds, 200000 requests
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROUNDS="${1:-3}"
N="${2:-200000}"
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
echo "command: redis-benchmark -t set,get -n $N -d 1024 -r 100000 -q <variant>, $ROUNDS rounds, alternating"
: > "$OUT/raw.csv"
# Warm-up, not counted: lets the JVM compile its hot paths before measuring.
for port in $REDIS_PORT $NIBBLE_PORT; do
  redis-benchmark -p "$port" -t set,get -n "$N" -d 1024 -r 100000 -P 16 -q >/dev/null 2>&1
  redis-benchmark -p "$port" -t set,get -n "$N" -d 1024 -r 100000 -q >/dev/null 2>&1
done
for round in $(seq "$ROUNDS"); do
  for variant in "${VARIANTS[@]}"; do
    for target in redis nibble; do
      port=$([[ $target == redis ]] && echo $REDIS_PORT || echo $NIBBLE_PORT)
      # shellcheck disable=SC2086
      redis-benchmark -p "$port" -t set,get -n "$N" -d 1024 -r 100000 --csv $variant 2>/dev/null \
        | tail -n +2 | tr -d '"' | awk -F, -v t="$target" -v v="${variant:-plain}" -v r="$round" \
          '{print r "," t "," v "," $1 "," $2}' >> "$OUT/raw.csv"
    done
  done
done

echo
printf '%-12s %-5s %14s %14s %8s\n' variant test "redis rps" "nibble rps" ratio
for variant in plain "-P 16" "--threads 2"; do
  for test in SET GET; do
    med() { grep ",$1,$variant,$test," "$OUT/raw.csv" | cut -d, -f5 | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
    r=$(med redis); n=$(med nibble)
    printf '%-12s %-5s %14.0f %14.0f %8.2f\n' "$variant" "$test" "$r" "$n" "$(echo "$n / $r" | bc -l)"
  done
done
echo "raw results: $OUT/raw.csv"
