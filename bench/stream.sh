#!/usr/bin/env bash
# Streaming at scale, §2 of issue 5. One simulator (vLLM dialect, flat batching, ~50 events/s per stream,
# every event stamped with sim_ts_us) and tiergate in front of it, on loopback.
#   1. N concurrent streams (default 1000) for DUR seconds, first straight to the sim, then through
#      tiergate: TTFT added, events/s relayed, per-event relay delay p50/p99, failed/stalled streams,
#      tiergate's CPU (cores) and RSS.
#   2. Slow consumers: SLOW_STREAMS clients that read one network buffer every READ_DELAY_MS while the
#      sim writes 2000 tokens/s to each; tiergate's RSS each second shows whether memory stays bounded.
#
#   bench/stream.sh                       # 1000 streams × 20 s, then 100 slow consumers × 20 s
#   STREAMS=200 DUR=10 bench/stream.sh
#   SIM_OPTS="--loops 1" bench/stream.sh  # extra sim flags, e.g. fewer HTTP loops to leave the load client a core
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=${JAR:-/tmp/tiergate-bench.jar}
OUT=${OUT:-/tmp/tiergate-bench}
STREAMS=${STREAMS:-1000}
DUR=${DUR:-20}
# Long enough for C2 to compile the relay path before the measured window (see overhead.sh).
WARMUP=${WARMUP:-15}
SLOW_STREAMS=${SLOW_STREAMS:-100}
READ_DELAY_MS=${READ_DELAY_MS:-50}
PORT_BASE=${PORT_BASE:-19500}
GW_JAVA_OPTS=${GW_JAVA_OPTS:--Xms64m -Xmx256m -XX:+UseSerialGC}
SIM_PORT=$((PORT_BASE + 1)); GW_PORT=$((PORT_BASE + 2))
(( STREAMS > 0 && STREAMS <= 10000 && DUR > 0 && DUR <= 600 )) || { echo "STREAMS 1..10000, DUR 1..600" >&2; exit 2; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
mkdir -p "$OUT"
if [[ ! -f "$JAR" ]]; then
  [[ -f target/tiergate.jar ]] || mvn -q -DskipTests package
  cp target/tiergate.jar "$JAR"
fi
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

# Every stream gets a running slot (vLLM's default max_num_seqs of 256 would queue the rest and the
# bench would measure the sim's waiting line, not the relay).
# shellcheck disable=SC2086
java -Xmx1g -XX:+UseParallelGC -jar "$JAR" sim --engine vllm --port "$SIM_PORT" --model bench-model --stamp-events \
  --max-running $((STREAMS + SLOW_STREAMS + 16)) --flat-batching --decode-tps 50 --ttft-base-ms 20 --prefill-tps 1000000 --prefill-half-rate-tokens 0 \
  ${SIM_OPTS:-} >"$OUT/stream-sim.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$SIM_PORT/health"
cat >"$OUT/stream.yaml" <<YAML
server: { host: 127.0.0.1, port: $GW_PORT, instances: 2 }
routing: { defaultTier: fast }
timeouts: { connectMs: 5000, ttftMs: 30000, idleMs: 30000, totalMs: 600000 }
tiers:
  - name: fast
    backends: [{ name: fast-1, url: "http://127.0.0.1:$SIM_PORT", engine: vllm, model: bench-model }]
YAML
# shellcheck disable=SC2086
java $GW_JAVA_OPTS -jar "$JAR" serve --config "$OUT/stream.yaml" >"$OUT/stream-gateway.log" 2>&1 &
GW_PID=$!
PIDS+=($GW_PID)
wait_http "http://127.0.0.1:$GW_PORT/health"
sleep 1
echo "tiergate idle RSS: $(awk '$1 == "VmRSS:" { printf "%.0f MiB", $2 / 1024 }' "/proc/$GW_PID/status")" | tee "$OUT/stream-report.md"
BENCH=(java -Xmx1g -XX:+UseParallelGC -jar "$JAR" bench stream)

echo "## $STREAMS concurrent streams, ~50 events/s each, ${DUR}s (+${WARMUP} s warm-up)" | tee -a "$OUT/stream-report.md"
"${BENCH[@]}" --url "http://127.0.0.1:$GW_PORT" --direct "http://127.0.0.1:$SIM_PORT" --streams "$STREAMS" \
  --duration "$DUR" --warmup "$WARMUP" --ramp 3 --max-tokens 150 --pid "$GW_PID" --json "$OUT/stream.json" \
  | tee -a "$OUT/stream-report.md"

echo "## slow consumers: $SLOW_STREAMS streams, sim writes 2000 tok/s each, client reads one buffer per ${READ_DELAY_MS} ms" \
  | tee -a "$OUT/stream-report.md"
"${BENCH[@]}" --url "http://127.0.0.1:$GW_PORT" --streams "$SLOW_STREAMS" --duration "$DUR" --warmup 2 --ramp 1 \
  --max-tokens 20000 --sim-decode-tps 2000 --read-delay-ms "$READ_DELAY_MS" --stall-ms 15000 --pid "$GW_PID" \
  --json "$OUT/stream-slow.json" | tee -a "$OUT/stream-report.md"
echo "tiergate VmHWM after both runs: $(awk '$1 == "VmHWM:" { printf "%.0f MiB", $2 / 1024 }' "/proc/$GW_PID/status")" \
  | tee -a "$OUT/stream-report.md"
