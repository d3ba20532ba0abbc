#!/usr/bin/env bash
# What tiergate adds to a tier swap, on simulators: the engine's own boot and stop are timed alone
# first, then the same engines swap behind the gateway; the difference is the gateway's share.
# Then 1,000 strict requests wait through one swap while the gateway's RSS is sampled.
#
#   bench/swap.sh                          # boot 3 s per engine, 1000 waiters
#   BOOT=6 WAITERS=2000 bench/swap.sh
#
# Env: BOOT (seconds of simulated loading, 3), WAITERS (1000), RUNS (standalone timings, 3),
# PORT_BASE (19700). Writes the raw output to bench/results/swap-<date>-<commit>.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
BOOT=${BOOT:-3}; WAITERS=${WAITERS:-1000}; RUNS=${RUNS:-3}; PORT_BASE=${PORT_BASE:-19700}
JAR=target/tiergate.jar
[[ -f $JAR ]] || { echo "build first: mvn -B -q package -DskipTests" >&2; exit 2; }
OUT=/tmp/tiergate-bench/swap; mkdir -p "$OUT" bench/results
RESULT=bench/results/swap-$(date +%Y%m%d)-$(git rev-parse --short HEAD).txt
GW_PORT=$PORT_BASE; FAST=$((PORT_BASE + 1)); MAX=$((PORT_BASE + 2)); ALONE=$((PORT_BASE + 3))
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# The fast tier's calibration, but flat batching and a quick decode: this measures waiting, not decoding.
SIM=(java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx96m -cp "$JAR" dev.tiergate.app.Main sim --engine vllm --profile fast
     --decode-tps 5000 --flat-batching --model m --loading-seconds "$BOOT")

{
echo "# bench/swap.sh on $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $(java -version 2>&1 | head -1); BOOT=${BOOT}s WAITERS=$WAITERS"
echo
echo "## the engine alone (a sim JVM with ${BOOT} s of loading): spawn to /health 200, first token, SIGTERM to exit"
boots=(); stops=(); ttfts=()
CHAT='{"model":"m","stream":true,"max_tokens":4,"messages":[{"role":"user","content":"hi"}]}'
for i in $(seq 1 "$RUNS"); do
  t0=$(now_ms); "${SIM[@]}" --port "$ALONE" >"$OUT/alone.log" 2>&1 & p=$!
  until curl -sf -o /dev/null "http://127.0.0.1:$ALONE/health"; do sleep 0.01; done
  t1=$(now_ms)
  ttft=$(curl -s -o /dev/null -w '%{time_starttransfer}' "http://127.0.0.1:$ALONE/v1/chat/completions" \
    -H 'Content-Type: application/json' -d "$CHAT" | awk '{printf "%d", $1 * 1000}')
  t2=$(now_ms); kill -TERM "$p"; wait "$p" 2>/dev/null || true; t3=$(now_ms)
  boots+=($((t1 - t0))); stops+=($((t3 - t2))); ttfts+=("$ttft")
  echo "run $i: boot $((t1 - t0)) ms, first token $ttft ms, stop $((t3 - t2)) ms"
done
med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
BOOT_MS=$(med "${boots[@]}"); STOP_MS=$(med "${stops[@]}"); TTFT_MS=$(med "${ttfts[@]}")
echo "median: boot $BOOT_MS ms, first token $TTFT_MS ms, stop $STOP_MS ms"
echo
cat >"$OUT/rig.yaml" <<YAML
server: { host: 127.0.0.1, port: $GW_PORT }
routing: { defaultTier: fast }
health: { intervalMs: 2000 }
groups: [{ name: gpus, tiers: [fast, max], home: fast, minLiveMs: 0, maxQueue: $((WAITERS + 10)), maxWaitMs: 300000, drainMs: 5000 }]
tiers:
  - name: fast
    lifecycle: { process: { command: [$(printf '"%s", ' "${SIM[@]}")"--port", "$FAST"], stopGraceMs: 10000 }, readyTimeoutMs: 120000 }
    backends: [{ name: fast-1, url: "http://127.0.0.1:$FAST", engine: vllm, model: m, contextWindow: 262144 }]
  - name: max
    lifecycle: { process: { command: [$(printf '"%s", ' "${SIM[@]}")"--port", "$MAX"], stopGraceMs: 10000 }, readyTimeoutMs: 120000 }
    backends: [{ name: max-1, url: "http://127.0.0.1:$MAX", engine: vllm, model: m, contextWindow: 262144 }]
YAML
java -Xms64m -Xmx512m -XX:+UseSerialGC -jar "$JAR" serve --config "$OUT/rig.yaml" >"$OUT/gateway.log" 2>&1 &
GW=$!; PIDS+=("$GW")
until curl -sf "http://127.0.0.1:$GW_PORT/tiergate/status" | grep -q '"state" : "live"'; do sleep 0.2; done
echo "## behind the gateway (pid $GW)"
java -jar "$JAR" bench swap --url "http://127.0.0.1:$GW_PORT" --tier max --back fast --waiters "$WAITERS" --pid "$GW" \
  2>"$OUT/bench.err" | tee "$OUT/bench.out"
FIRST=$(grep -o 'first token on the new tier: [0-9]*' "$OUT/bench.out" | grep -o '[0-9]*$')
echo
echo "## the gateway's share of a swap: trigger to first token $FIRST ms - engine boot $BOOT_MS - first token $TTFT_MS - stop $STOP_MS ms"
echo "gateway overhead: $((FIRST - BOOT_MS - TTFT_MS - STOP_MS)) ms (target <= 1000)"
} 2>&1 | tee "$RESULT"
echo "raw results: $RESULT"
