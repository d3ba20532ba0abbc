#!/usr/bin/env bash
# Runs `tiergate bench tiers` against three simulated tiers calibrated like `tiergate demo`
# (config/demo.yaml + app/Demo.calibrated), on private loopback ports so it never clashes with a demo.
#   bench/tiers-demo.sh            # --quick (under a minute)
#   bench/tiers-demo.sh --full     # 10K/90K prompts, 3 repeats (≈ 10 minutes: the sims are slow on purpose)
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=${JAR:-/tmp/tiergate-bench.jar}
OUT=${OUT:-/tmp/tiergate-bench}
BASE=${BASE_PORT:-19110}
mkdir -p "$OUT"
if [[ ! -f "$JAR" ]]; then
  [[ -f target/tiergate.jar ]] || mvn -q -DskipTests package
  cp target/tiergate.jar "$JAR"
fi
MODE=(--quick)
[[ "${1:-}" == "--full" ]] && MODE=()
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 1
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
JVM=(java -Xmx256m -XX:+UseSerialGC -jar "$JAR")
# rates from app/Demo.calibrated (the seed's A/B sitting)
"${JVM[@]}" sim --engine vllm --port $((BASE)) --model qwen3.6-27b-int4 --context 262144 --prefill-tps 1501 \
  --prefill-half-rate-tokens 262665 --ttft-base-ms 150 --decode-tps 80 >"$OUT/sim-fast.log" 2>&1 & PIDS+=($!)
"${JVM[@]}" sim --engine vllm --port $((BASE + 3)) --model qwen3.6-27b-fp8 --context 131072 --prefill-tps 1466 \
  --prefill-half-rate-tokens 133139 --ttft-base-ms 158 --decode-tps 69 >"$OUT/sim-max.log" 2>&1 & PIDS+=($!)
"${JVM[@]}" sim --engine vllm --port $((BASE + 6)) --model qwen3.6-27b-w8a8 --context 131072 --prefill-tps 2363 \
  --prefill-half-rate-tokens 68462 --ttft-base-ms 122 --decode-tps 62 >"$OUT/sim-prefill.log" 2>&1 & PIDS+=($!)
cat >"$OUT/tiers.yaml" <<YAML
server: { host: 127.0.0.1, port: $((BASE + 9)), instances: 2, maxBodyBytes: 16777216 }
routing:
  defaultTier: fast
  rules:
    - { name: long-prompt, when: { promptTokensAtLeast: 8192 }, tier: prefill }
timeouts: { connectMs: 1000, ttftMs: 300000, idleMs: 30000, totalMs: 1800000 }
tiers:
  - name: fast
    backends: [{ name: fast-1, url: "http://127.0.0.1:$((BASE))", engine: vllm, model: qwen3.6-27b-int4, contextWindow: 262144 }]
  - name: max
    backends: [{ name: max-1, url: "http://127.0.0.1:$((BASE + 3))", engine: vllm, model: qwen3.6-27b-fp8, contextWindow: 131072 }]
  - name: prefill
    backends: [{ name: prefill-1, url: "http://127.0.0.1:$((BASE + 6))", engine: vllm, model: qwen3.6-27b-w8a8, contextWindow: 131072 }]
YAML
"${JVM[@]}" serve --config "$OUT/tiers.yaml" >"$OUT/gateway-tiers.log" 2>&1 & PIDS+=($!)
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$((BASE + 9))/health" >/dev/null 2>&1 && break
  sleep 0.1
done
"${JVM[@]}" bench tiers --url "http://127.0.0.1:$((BASE + 9))" "${MODE[@]}" \
  --json "$OUT/tiers.json" --csv "$OUT/tiers.csv" --svg "$OUT/tiers.svg" --html "$OUT/tiers.html"
