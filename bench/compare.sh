#!/usr/bin/env bash
# Before/after for one change: two tiergate jars side by side in front of one fast simulator, loaded in
# turn (A B A B …) after a long warm-up, so both see the same machine. Prints req/s, p50/p99 and each
# gateway's CPU µs per request (or per stream) for every round.
#
#   bench/compare.sh /tmp/before.jar target/tiergate.jar            # non-streamed and 16-event streams
#   LOADS=stream ROUNDS=4 bench/compare.sh /tmp/before.jar target/tiergate.jar
#
# Env: LOADS ("sat stream"), ROUNDS (3), DUR seconds per arm (8), WARM seconds per arm and load (40),
# PORT_BASE (19600). Needs wrk (apt-get install wrk). Only 127.0.0.1 is used.
set -euo pipefail
cd "$(dirname "$0")/.."
(( $# == 2 )) || { sed -n 2,10p "$0" >&2; exit 2; }
LOADS=${LOADS:-"sat stream"}; ROUNDS=${ROUNDS:-3}; DUR=${DUR:-8}; WARM=${WARM:-40}; PORT_BASE=${PORT_BASE:-19600}
OUT=${OUT:-/tmp/tiergate-bench/compare}
(( ROUNDS > 0 && ROUNDS <= 20 && DUR > 0 && DUR <= 120 && WARM >= 0 && WARM <= 300 )) || { echo "ROUNDS 1..20, DUR 1..120, WARM 0..300" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }
mkdir -p "$OUT"
# Copies, so a rebuild of target/ during the run cannot change what is measured.
cp "$1" "$OUT/a.jar"; cp "$2" "$OUT/b.jar"
SIM_PORT=$((PORT_BASE + 1)); declare -A PORT=([A]=$((PORT_BASE + 2)) [B]=$((PORT_BASE + 3)))
declare -A PID
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    alive=0; for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    (( alive )) || return 0; sleep 0.1
  done
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
wait_http() { for _ in $(seq 1 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "not ready: $1" >&2; return 1; }
cpu_ticks() { awk '{ sub(/.*\) /, ""); split($0, f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }

java -Xmx512m -XX:+UseParallelGC -jar "$OUT/a.jar" sim --engine vllm --port "$SIM_PORT" --model bench-model \
  --ttft-base-ms 0 --prefill-tps 100000000 --prefill-half-rate-tokens 0 --decode-tps 1000000 --flat-batching \
  >"$OUT/sim.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$SIM_PORT/health"
for x in A B; do
  cat >"$OUT/$x.yaml" <<YAML
server: { host: 127.0.0.1, port: ${PORT[$x]}, instances: 2 }
routing: { defaultTier: fast }
timeouts: { connectMs: 1000, ttftMs: 10000, idleMs: 10000, totalMs: 30000 }
tiers:
  - name: fast
    backends: [{ name: fast-1, url: "http://127.0.0.1:$SIM_PORT", engine: vllm, model: bench-model }]
YAML
  jar=$OUT/$([[ $x == A ]] && echo a || echo b).jar
  java -Xms64m -Xmx256m -XX:+UseSerialGC -jar "$jar" serve --config "$OUT/$x.yaml" >"$OUT/gateway-$x.log" 2>&1 &
  PID[$x]=$!
  PIDS+=(${PID[$x]})
done
for x in A B; do wait_http "http://127.0.0.1:${PORT[$x]}/health"; done

lua() {
  printf 'wrk.method = "POST"\nwrk.path = "/v1/chat/completions"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[%s]]\n' "$1"
}
lua '{"model":"bench-model","max_tokens":4,"messages":[{"role":"user","content":"Say hello in four words."}]}' >"$OUT/sat.lua"
lua '{"model":"bench-model","stream":true,"max_tokens":16,"messages":[{"role":"user","content":"Count to sixteen."}]}' >"$OUT/stream.lua"
load() { wrk -t2 -c32 -d"$3"s --latency -s "$OUT/$1.lua" "http://127.0.0.1:${PORT[$2]}/v1/chat/completions"; }

echo "A = $1, B = $2; warm-up ${WARM}s per arm and load" >&2
for l in $LOADS; do for x in A B; do load "$l" "$x" "$WARM" >/dev/null; done; done
printf 'load\tround\tarm\treq_s\tp50\tp99\tcpu_us_per_req\terrors\n' | tee "$OUT/compare.tsv"
for l in $LOADS; do
  for r in $(seq 1 "$ROUNDS"); do
    for x in A B; do
      c0=$(cpu_ticks "${PID[$x]}")
      out=$(load "$l" "$x" "$DUR")
      c1=$(cpu_ticks "${PID[$x]}")
      rps=$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")
      p50=$(awk '$1 == "50%" { print $2 }' <<<"$out"); p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
      errs=$(awk '/Non-2xx|Socket errors/ { n++ } END { print n + 0 }' <<<"$out")
      per=$(awk -v t=$((c1 - c0)) -v r="$rps" -v d="$DUR" 'BEGIN { printf "%.0f", t * 10000 / (r * d) }')
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$l" "$r" "$x" "$rps" "$p50" "$p99" "$per" "$errs" | tee -a "$OUT/compare.tsv"
    done
  done
done
