#!/usr/bin/env bash
# What gateway keys and rate limits add to a request's latency at a fixed rate: three gateways in front
# of one fast simulator, loaded in turn (A L R A L R …) after a warm-up, so all see the same machine:
#   A  no keys                      (the baseline)
#   L  keys, limits in this process (auth.limits.store: local)
#   R  keys, limits in Redis on loopback (store: redis; one EVALSHA before each request, one after it)
# Prints req/s, p50, p90, p99 per arm and round, and the load average, to stdout and $OUT/auth.tsv.
#
#   bench/auth.sh                         # after mvn -B package; ROUNDS=3 DUR=10 WARM=20
#
# Env: ROUNDS (3), DUR seconds per arm (10), WARM seconds per arm (20), RATE_CONNS (12), RATE_DELAY_MS (10:
# each connection waits 10 ms after each answer, ≈ 900 req/s in all), PORT_BASE (19700), JAR. Needs wrk and
# redis-server (apt-get install wrk redis-server). Only 127.0.0.1 is used.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}; DUR=${DUR:-10}; WARM=${WARM:-20}; RATE_CONNS=${RATE_CONNS:-12}; RATE_DELAY_MS=${RATE_DELAY_MS:-10}
PORT_BASE=${PORT_BASE:-19700}; JAR=${JAR:-target/tiergate.jar}; OUT=${OUT:-/tmp/tiergate-bench/auth}
(( ROUNDS > 0 && ROUNDS <= 20 && DUR > 0 && DUR <= 120 && WARM >= 0 && WARM <= 300 )) || { echo "ROUNDS 1..20, DUR 1..120, WARM 0..300" >&2; exit 2; }
for c in wrk redis-server; do command -v $c >/dev/null || { echo "$c is missing: apt-get install -y $c" >&2; exit 2; }; done
[[ -f "$JAR" ]] || { echo "no $JAR: mvn -B -DskipTests package first" >&2; exit 2; }
mkdir -p "$OUT"
cp "$JAR" "$OUT/tiergate.jar"
SIM_PORT=$((PORT_BASE + 1)); REDIS_PORT=$((PORT_BASE + 2))
declare -A PORT=([A]=$((PORT_BASE + 3)) [L]=$((PORT_BASE + 4)) [R]=$((PORT_BASE + 5)))
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
wait_http() { for _ in $(seq 1 150); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "not ready: $1" >&2; return 1; }

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$OUT" >"$OUT/redis.log" 2>&1 &
PIDS+=($!)
java -Xmx512m -XX:+UseParallelGC -jar "$OUT/tiergate.jar" sim --engine vllm --port "$SIM_PORT" --model bench-model \
  --ttft-base-ms 0 --prefill-tps 100000000 --prefill-half-rate-tokens 0 --decode-tps 1000000 --flat-batching \
  >"$OUT/sim.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$SIM_PORT/health"
KEY=bench-key-0123456789abcdef0123456789
for x in A L R; do
  {
    echo "server: { host: 127.0.0.1, port: ${PORT[$x]}, instances: 2 }"
    echo "routing: { defaultTier: fast }"
    echo "timeouts: { connectMs: 1000, ttftMs: 10000, idleMs: 10000, totalMs: 30000 }"
    echo "tiers:"
    echo "  - name: fast"
    echo "    backends: [{ name: fast-1, url: \"http://127.0.0.1:$SIM_PORT\", engine: vllm, model: bench-model }]"
    if [[ $x != A ]]; then
      # Limits no run can reach, so every request takes the admitted path (and the full Redis round trip).
      echo "auth:"
      echo "  keys: [{ name: bench, key: \"$KEY\", rpm: 100000000, tpm: 100000000000, maxConcurrent: 100000 }]"
      [[ $x == R ]] && echo "  limits: { store: redis, redis: \"redis://127.0.0.1:$REDIS_PORT\" }"
    fi
  } >"$OUT/$x.yaml"
  java -Xms64m -Xmx256m -XX:+UseSerialGC -jar "$OUT/tiergate.jar" serve --config "$OUT/$x.yaml" >"$OUT/gateway-$x.log" 2>&1 &
  PIDS+=($!)
done
for x in A L R; do wait_http "http://127.0.0.1:${PORT[$x]}/health"; done

printf 'wrk.method = "POST"\nwrk.path = "/v1/chat/completions"\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "Bearer %s"\nwrk.body = [[%s]]\nfunction delay() return %s end\n' \
  "$KEY" '{"model":"bench-model","max_tokens":4,"messages":[{"role":"user","content":"Say hello in four words."}]}' "$RATE_DELAY_MS" \
  >"$OUT/rate.lua"
load() { wrk -t1 -c"$RATE_CONNS" -d"$2"s --latency -s "$OUT/rate.lua" "http://127.0.0.1:${PORT[$1]}/v1/chat/completions"; }

echo "warm-up ${WARM}s per arm; $(nproc) cores; $(uname -sr); $(java -version 2>&1 | head -1)" >&2
for x in A L R; do load "$x" "$WARM" >/dev/null; done
printf 'round\tarm\treq_s\tp50_ms\tp90_ms\tp99_ms\terrors\tload1\n' | tee "$OUT/auth.tsv"
ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us/, "", v); printf "%.3f", v / 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v); printf "%.3f", v } else { sub(/s/, "", v); printf "%.3f", v * 1000 } }'; }
for r in $(seq 1 "$ROUNDS"); do
  for x in A L R; do
    out=$(load "$x" "$DUR")
    rps=$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")
    p50=$(ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")"); p90=$(ms "$(awk '$1 == "90%" { print $2 }' <<<"$out")")
    p99=$(ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
    errs=$(awk '/Non-2xx|Socket errors/ { n++ } END { print n + 0 }' <<<"$out")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$x" "$rps" "$p50" "$p90" "$p99" "$errs" "$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$OUT/auth.tsv"
  done
done
# Medians over the rounds, and what L and R add to A.
awk -F'\t' 'NR > 1 { p50[$2] = p50[$2] " " $4; p99[$2] = p99[$2] " " $6 }
  function med(s,   a, n, i, j, t) { n = split(s, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  END { for (x in p50) { m50[x] = med(p50[x]); m99[x] = med(p99[x]) }
    printf "median p50/p99 ms: A %.3f/%.3f  L %.3f/%.3f  R %.3f/%.3f\n", m50["A"], m99["A"], m50["L"], m99["L"], m50["R"], m99["R"]
    printf "added vs A: local p50 %+.3f ms p99 %+.3f ms; redis p50 %+.3f ms p99 %+.3f ms\n", m50["L"] - m50["A"], m99["L"] - m99["A"], m50["R"] - m50["A"], m99["R"] - m99["A"] }' \
  "$OUT/auth.tsv" | tee "$OUT/summary.txt"
