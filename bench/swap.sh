#!/usr/bin/env bash
# What tiergate adds to a tier swap, on simulators, cold (stop + start) and warm (sleep + wake).
# The engine's own boot, stop, sleep, wake and first token are timed alone first; then the same
# engines swap behind the gateway, and the difference is the gateway's share. Then 1,000 strict
# requests wait through one swap while the gateway's RSS is sampled.
#
#   bench/swap.sh                          # both modes, boot 3 s, 1000 waiters
#   MODES=warm WAITERS=2000 bench/swap.sh
#
# Env: MODES ("cold warm"), BOOT (seconds of simulated loading, 3), SLEEP_MS (1000), WAKE_MS (2000),
# WAITERS (1000), RUNS (standalone timings, 3), PORT_BASE (19700).
# Writes the raw output to bench/results/swap-<date>-<commit>.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
MODES=${MODES:-"cold warm"}; BOOT=${BOOT:-3}; SLEEP_MS=${SLEEP_MS:-1000}; WAKE_MS=${WAKE_MS:-2000}
WAITERS=${WAITERS:-1000}; RUNS=${RUNS:-3}; PORT_BASE=${PORT_BASE:-19700}
JAR=target/tiergate.jar
[[ -f $JAR ]] || { echo "build first: mvn -B -q package -DskipTests" >&2; exit 2; }
OUT=/tmp/tiergate-bench/swap; mkdir -p "$OUT" bench/results
RESULT=bench/results/swap-$(date +%Y%m%d)-$(git rev-parse --short HEAD).txt
GW_PORT=$PORT_BASE; FAST=$((PORT_BASE + 1)); MAX=$((PORT_BASE + 2)); ALONE=$((PORT_BASE + 3))
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# The fast tier's calibration, but flat batching and a quick decode: this measures waiting, not decoding.
SIM=(java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx96m -cp "$JAR" dev.tiergate.app.Main sim --engine vllm --profile fast
     --decode-tps 5000 --flat-batching --model m --loading-seconds "$BOOT" --sleep-ms "$SLEEP_MS" --wake-ms "$WAKE_MS")
CHAT='{"model":"m","stream":true,"max_tokens":4,"messages":[{"role":"user","content":"hi"}]}'
ttft() { curl -s -o /dev/null -w '%{time_starttransfer}' "http://127.0.0.1:$1/v1/chat/completions" \
  -H 'Content-Type: application/json' -d "$CHAT" | awk '{printf "%d", $1 * 1000}'; }

# Everything below also goes to the result file; no subshell, so the cleanup trap sees every PID.
exec > >(tee "$RESULT") 2>&1
echo "# bench/swap.sh on $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $(java -version 2>&1 | head -1); BOOT=${BOOT}s SLEEP_MS=$SLEEP_MS WAKE_MS=$WAKE_MS WAITERS=$WAITERS"
echo
echo "## the engine alone: spawn to /health 200, first token, sleep, wake, SIGTERM to exit"
boots=(); stops=(); ttfts=(); sleeps=(); wakes=()
for i in $(seq 1 "$RUNS"); do
  t0=$(now_ms); "${SIM[@]}" --port "$ALONE" >"$OUT/alone.log" 2>&1 & p=$!; PIDS+=("$p")
  until curl -sf -o /dev/null "http://127.0.0.1:$ALONE/health"; do sleep 0.01; done
  t1=$(now_ms); tt=$(ttft "$ALONE")
  t2=$(now_ms); curl -sf -o /dev/null -X POST "http://127.0.0.1:$ALONE/sleep?level=1"
  t3=$(now_ms); curl -sf -o /dev/null -X POST "http://127.0.0.1:$ALONE/wake_up"
  t4=$(now_ms); kill -TERM "$p"; wait "$p" 2>/dev/null || true; t5=$(now_ms)
  boots+=($((t1 - t0))); ttfts+=("$tt"); sleeps+=($((t3 - t2))); wakes+=($((t4 - t3))); stops+=($((t5 - t4)))
  echo "run $i: boot $((t1 - t0)) ms, first token $tt ms, sleep $((t3 - t2)) ms, wake $((t4 - t3)) ms, stop $((t5 - t4)) ms"
done
BOOT_MS=$(med "${boots[@]}"); STOP_MS=$(med "${stops[@]}"); TTFT_MS=$(med "${ttfts[@]}")
SLEEP_ALONE=$(med "${sleeps[@]}"); WAKE_ALONE=$(med "${wakes[@]}")
echo "median: boot $BOOT_MS ms, first token $TTFT_MS ms, sleep $SLEEP_ALONE ms, wake $WAKE_ALONE ms, stop $STOP_MS ms"

for MODE in $MODES; do
  echo
  WARM=""
  [[ $MODE == warm ]] && WARM="warm: { engine: vllm, level: 1, canary: { maxTokens: 1 } },"
  cat >"$OUT/rig-$MODE.yaml" <<YAML
server: { host: 127.0.0.1, port: $GW_PORT }
routing: { defaultTier: fast }
health: { intervalMs: 2000 }
groups: [{ name: gpus, tiers: [fast, max], home: fast, minLiveMs: 0, maxQueue: $((WAITERS + 10)), maxWaitMs: 300000, drainMs: 5000 }]
tiers:
  - name: fast
    lifecycle: { process: { command: [$(printf '"%s", ' "${SIM[@]}")"--port", "$FAST"], stopGraceMs: 10000 }, $WARM readyTimeoutMs: 120000 }
    backends: [{ name: fast-1, url: "http://127.0.0.1:$FAST", engine: vllm, model: m, contextWindow: 262144 }]
  - name: max
    lifecycle: { process: { command: [$(printf '"%s", ' "${SIM[@]}")"--port", "$MAX"], stopGraceMs: 10000 }, $WARM readyTimeoutMs: 120000 }
    backends: [{ name: max-1, url: "http://127.0.0.1:$MAX", engine: vllm, model: m, contextWindow: 262144 }]
YAML
  java -Xms64m -Xmx512m -XX:+UseSerialGC -jar "$JAR" serve --config "$OUT/rig-$MODE.yaml" >"$OUT/gateway-$MODE.log" 2>&1 &
  GW=$!; PIDS+=("$GW")
  until curl -sf "http://127.0.0.1:$GW_PORT/tiergate/status" | grep -q '"state" : "live"'; do sleep 0.2; done
  echo "## $MODE swaps behind the gateway (pid $GW)"
  java -jar "$JAR" bench swap --url "http://127.0.0.1:$GW_PORT" --tier max --back fast --waiters "$WAITERS" --pid "$GW" \
    2>"$OUT/bench-$MODE.err" | tee "$OUT/bench-$MODE.out"
  FIRST=$(grep -o 'first token on the new tier: [0-9]*' "$OUT/bench-$MODE.out" | grep -o '[0-9]*$')
  if [[ $MODE == warm ]]; then
    OWN=$((SLEEP_ALONE + WAKE_ALONE + TTFT_MS))
    echo "the gateway's share of a warm swap: trigger to first token $FIRST ms - engine sleep $SLEEP_ALONE - wake $WAKE_ALONE - first token $TTFT_MS"
    echo "gateway overhead (warm): $((FIRST - OWN)) ms (target <= 500; includes the 1-token canary)"
  else
    OWN=$((BOOT_MS + STOP_MS + TTFT_MS))
    echo "the gateway's share of a cold swap: trigger to first token $FIRST ms - engine boot $BOOT_MS - stop $STOP_MS - first token $TTFT_MS"
    echo "gateway overhead (cold): $((FIRST - OWN)) ms (target <= 1000)"
  fi
  kill -TERM "$GW"; wait "$GW" 2>/dev/null || true
done
echo "raw results: $RESULT"
