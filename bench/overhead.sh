#!/usr/bin/env bash
# Gateway overhead, §1 of issue 5: the same simulator backend on loopback, measured directly (A), through
# tiergate (B), through nginx as a plain reverse proxy (C) and through a bare Vert.x proxy (D,
# bench/BareProxy.java: the floor for any gateway built on Vert.x), alternating A B C D A B C D … so
# machine drift cancels, at three loads: a fixed moderate rate (added latency), saturation (throughput),
# and short streams at saturation. Reports req/s and p50/p90/p99 per arm (median over rounds), the ratios
# tiergate/direct, tiergate/nginx and tiergate/vertx, CPU seconds of tiergate and of the bare proxy (per
# arm and per request), tiergate's idle and peak RSS, and the time from launch to ready.
#
#   bench/overhead.sh                 # 20 s warm-up per arm and load, then 3 rounds × 3 loads × 4 arms × 10 s ≈ 9 minutes
#   DUR=20 ROUNDS=5 bench/overhead.sh
#
# Env: JAR (default /tmp/tiergate-bench.jar, built from target/ if missing), OUT (/tmp/tiergate-bench),
# DUR seconds per arm, ROUNDS, CONNS (saturation connections, 32), RATE_CONNS and RATE_DELAY_MS (fixed
# rate ≈ RATE_CONNS × 1000 / (RATE_DELAY_MS + latency) req/s; default 12 × 10 ms ≈ 1k req/s),
# GW_JAVA_OPTS (tiergate's JVM flags), GW_INSTANCES (event loops, 2), NGINX_WORKERS (2), PORT_BASE (19300).
# Only 127.0.0.1 is used.
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=${JAR:-/tmp/tiergate-bench.jar}
OUT=${OUT:-/tmp/tiergate-bench}
DUR=${DUR:-10}
# A JVM needs tens of seconds under load before C2 has compiled the hot path (throughput kept
# rising for ~40 s in our runs); a shorter warm-up measures the JIT, not the gateway.
WARMUP=${WARMUP:-20}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-32}
RATE_CONNS=${RATE_CONNS:-12}
RATE_DELAY_MS=${RATE_DELAY_MS:-10}
PORT_BASE=${PORT_BASE:-19300}
GW_JAVA_OPTS=${GW_JAVA_OPTS:--Xms64m -Xmx256m -XX:+UseSerialGC}
# Event loops of tiergate and of the bare Vert.x proxy, and nginx workers: one per core by default.
# On a small box shared with the load generator and the sim, 1 can beat 2 for all three.
GW_INSTANCES=${GW_INSTANCES:-2}
NGINX_WORKERS=${NGINX_WORKERS:-2}
SIM_PORT=$((PORT_BASE + 1)); GW_PORT=$((PORT_BASE + 2)); NGINX_PORT=$((PORT_BASE + 3)); BARE_PORT=$((PORT_BASE + 4))
(( DUR > 0 && DUR <= 300 && ROUNDS > 0 && ROUNDS <= 20 && GW_INSTANCES > 0 && GW_INSTANCES <= 64 && NGINX_WORKERS > 0 && NGINX_WORKERS <= 64 )) \
  || { echo "DUR must be 1..300, ROUNDS 1..20, GW_INSTANCES and NGINX_WORKERS 1..64" >&2; exit 2; }

need() { command -v "$1" >/dev/null 2>&1; }
if ! need wrk || ! need nginx; then
  echo "installing wrk and nginx (Debian packages)…" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light >/dev/null \
    || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx >/dev/null
fi
PATH=$PATH:/usr/sbin
mkdir -p "$OUT/nginx/logs" "$OUT/nginx/tmp" "$OUT/wrk"
if [[ ! -f "$JAR" ]]; then
  [[ -f target/tiergate.jar ]] || mvn -q -DskipTests package
  cp target/tiergate.jar "$JAR"
fi

PIDS=()
stop_pids() { # TERM, up to 5 s of grace, then KILL: only the PIDs this script started
  local p
  for p in "$@"; do kill "$p" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    local alive=0
    for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
    (( alive )) || return 0
    sleep 0.1
  done
  for p in "$@"; do kill -9 "$p" 2>/dev/null || true; done
}
cleanup() {
  [[ -f "$OUT/nginx/nginx.pid" ]] && kill "$(cat "$OUT/nginx/nginx.pid")" 2>/dev/null || true
  stop_pids "${PIDS[@]}"
}
trap cleanup EXIT

wait_http() { # url, timeout deciseconds
  for _ in $(seq 1 "${2:-100}"); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "not ready: $1" >&2; return 1
}
cpu_s() { awk '{ sub(/.*\) /, ""); split($0, f, " "); printf "%.2f", (f[12] + f[13]) / 100 }' "/proc/$1/stat"; }
status_mib() { awk -v k="$2:" '$1 == k { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

# 1. the backend: a vLLM-dialect sim that answers at once (no prefill base, very fast decode, flat batching)
java -Xmx512m -XX:+UseParallelGC -jar "$JAR" sim --engine vllm --port "$SIM_PORT" --model bench-model \
  --ttft-base-ms 0 --prefill-tps 100000000 --prefill-half-rate-tokens 0 --decode-tps 1000000 --flat-batching \
  >"$OUT/sim.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$SIM_PORT/health"

# 2. tiergate in front of it
cat >"$OUT/overhead.yaml" <<YAML
server: { host: 127.0.0.1, port: $GW_PORT, instances: $GW_INSTANCES }
routing: { defaultTier: fast }
timeouts: { connectMs: 1000, ttftMs: 10000, idleMs: 10000, totalMs: 30000 }
tiers:
  - name: fast
    backends: [{ name: fast-1, url: "http://127.0.0.1:$SIM_PORT", engine: vllm, model: bench-model }]
YAML
T0=$(date +%s%N)
# shellcheck disable=SC2086
java $GW_JAVA_OPTS -jar "$JAR" serve --config "$OUT/overhead.yaml" >"$OUT/gateway.log" 2>&1 &
GW_PID=$!
PIDS+=($GW_PID)
for _ in $(seq 1 300); do curl -sf -o /dev/null "http://127.0.0.1:$GW_PORT/health" && break; sleep 0.01; done
READY_MS=$(( ($(date +%s%N) - T0) / 1000000 ))
sleep 1
IDLE_RSS=$(status_mib "$GW_PID" VmRSS)

# 3. nginx as a plain reverse proxy, buffering off
cat >"$OUT/nginx/nginx.conf" <<NGINX
worker_processes $NGINX_WORKERS;
pid $OUT/nginx/nginx.pid;
error_log $OUT/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $OUT/nginx/tmp/body;
  proxy_temp_path $OUT/nginx/tmp/proxy;
  fastcgi_temp_path $OUT/nginx/tmp/fastcgi;
  uwsgi_temp_path $OUT/nginx/tmp/uwsgi;
  scgi_temp_path $OUT/nginx/tmp/scgi;
  upstream sim { server 127.0.0.1:$SIM_PORT; keepalive 256; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://sim;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
    }
  }
}
NGINX
nginx -p "$OUT/nginx/" -c "$OUT/nginx/nginx.conf" -g 'daemon off;' 2>"$OUT/nginx/logs/stderr.log" &
PIDS+=($!)
wait_http "http://127.0.0.1:$NGINX_PORT/health"

# 3b. the bare Vert.x proxy, same JVM flags as tiergate
# shellcheck disable=SC2086
java $GW_JAVA_OPTS -cp "$JAR" bench/BareProxy.java "$BARE_PORT" "$SIM_PORT" "$GW_INSTANCES" >"$OUT/bare.log" 2>&1 &
BARE_PID=$!
PIDS+=($BARE_PID)
wait_http "http://127.0.0.1:$BARE_PORT/health" 300

# 4. wrk scripts: a small non-streamed chat, a short stream, and the fixed-rate pacing via wrk's delay()
BODY='{"model":"bench-model","max_tokens":4,"messages":[{"role":"user","content":"Say hello in four words."}]}'
SBODY='{"model":"bench-model","stream":true,"max_tokens":16,"messages":[{"role":"user","content":"Count to sixteen."}]}'
lua() { # body, delay-ms (0 = none)
  printf 'wrk.method = "POST"\nwrk.path = "/v1/chat/completions"\nwrk.headers["Content-Type"] = "application/json"\n'
  printf 'wrk.body = [[%s]]\n' "$1"
  [[ "$2" != 0 ]] && printf 'function delay() return %s end\n' "$2"
  return 0
}
lua "$BODY" 0 >"$OUT/wrk/sat.lua"
lua "$BODY" "$RATE_DELAY_MS" >"$OUT/wrk/rate.lua"
lua "$SBODY" 0 >"$OUT/wrk/stream.lua"

declare -A PORT=([direct]=$SIM_PORT [tiergate]=$GW_PORT [nginx]=$NGINX_PORT [vertx]=$BARE_PORT)
declare -A CPU_PID=([tiergate]=$GW_PID [vertx]=$BARE_PID)
ARMS="direct tiergate nginx vertx"
RESULTS="$OUT/overhead-results.tsv"
printf 'load\tround\tarm\treq_s\tp50_ms\tp90_ms\tp99_ms\terrors\tcpu_s\n' >"$RESULTS"

# wrk output → "req_s p50 p90 p99 errors" (latencies in ms)
parse() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    $1 == "50%" { p50 = ms($2) } $1 == "90%" { p90 = ms($2) } $1 == "99%" { p99 = ms($2) }
    /^Requests\/sec/ { rps = $2 }
    /Non-2xx or socket errors/ { err += $NF }
    /Socket errors/ { for (i = 3; i <= NF; i += 2) err += $(i + 1) }
    END { printf "%.0f\t%.3f\t%.3f\t%.3f\t%d\n", rps, p50, p90, p99, err + 0 }' "$1"
}

run_wrk() { # load, arm, seconds, outfile
  local url="http://127.0.0.1:${PORT[$2]}"
  case "$1" in
    sat) wrk -t2 -c"$CONNS" -d"$3"s --latency -s "$OUT/wrk/sat.lua" "$url" >"$4" 2>&1 ;;
    rate) wrk -t1 -c"$RATE_CONNS" -d"$3"s --latency -s "$OUT/wrk/rate.lua" "$url" >"$4" 2>&1 ;;
    stream) wrk -t2 -c"$CONNS" -d"$3"s --latency -s "$OUT/wrk/stream.lua" "$url" >"$4" 2>&1 ;;
  esac
}

echo "warm-up: $WARMUP s per arm and load (discarded)" >&2
for load in sat stream; do for arm in $ARMS; do run_wrk "$load" "$arm" "$WARMUP" "$OUT/wrk/warmup-$load-$arm.txt"; done; done

for round in $(seq 1 "$ROUNDS"); do
  for load in rate sat stream; do
    for arm in $ARMS; do
      echo "round $round/$ROUNDS  $load  $arm  (${DUR}s)" >&2
      pid=${CPU_PID[$arm]:-}
      c0=$([[ -n "$pid" ]] && cpu_s "$pid" || echo 0)
      run_wrk "$load" "$arm" "$DUR" "$OUT/wrk/$load-$round-$arm.txt"
      c1=$([[ -n "$pid" ]] && cpu_s "$pid" || echo 0)
      printf '%s\t%s\t%s\t%s\t%s\n' "$load" "$round" "$arm" "$(parse "$OUT/wrk/$load-$round-$arm.txt")" \
        "$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.2f", b - a }')" >>"$RESULTS"
    done
  done
done
PEAK_RSS=$(status_mib "$GW_PID" VmHWM)
END_RSS=$(status_mib "$GW_PID" VmRSS)

# 5. report: medians over rounds, ratios
awk -F'\t' -v dur="$DUR" -v ready="$READY_MS" -v idle="$IDLE_RSS" -v peak="$PEAK_RSS" -v endrss="$END_RSS" '
  function median(key, n,   i, j, t, a) {
    n = cnt[key]; for (i = 1; i <= n; i++) a[i] = val[key, i]
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  NR == 1 { next }
  { for (c = 4; c <= 9; c++) { k = $1 SUBSEP $3 SUBSEP c; cnt[k]++; val[k, cnt[k]] = $c } loads[$1] = 1 }
  END {
    split("rate sat stream", order, " ")
    name["rate"] = "fixed rate (wrk -t1, paced by delay())"; name["sat"] = "saturation"; name["stream"] = "streams of 16 events, saturation"
    for (o = 1; o <= 3; o++) {
      l = order[o]; if (!(l in loads)) continue
      printf "\n### %s\n\n| arm | req/s | p50 ms | p90 ms | p99 ms | errors | CPU s | CPU µs/req |\n|---|---:|---:|---:|---:|---:|---:|---:|\n", name[l]
      split("direct tiergate nginx vertx", arms, " ")
      for (a = 1; a <= 4; a++) {
        arm = arms[a]
        for (c = 4; c <= 9; c++) m[arm, c] = median(l SUBSEP arm SUBSEP c)
        java = arm == "tiergate" || arm == "vertx"
        cpu = java ? sprintf("%.2f", m[arm, 9]) : "-"
        per = java && m[arm, 4] > 0 ? sprintf("%.0f", m[arm, 9] / (m[arm, 4] * dur) * 1e6) : "-"
        printf "| %s | %.0f | %.3f | %.3f | %.3f | %d | %s | %s |\n", arm, m[arm, 4], m[arm, 5], m[arm, 6], m[arm, 7], m[arm, 8], cpu, per
      }
      printf "\nratios: req/s tiergate/direct %.2f, tiergate/nginx %.2f, tiergate/vertx %.2f, nginx/direct %.2f, vertx/nginx %.2f; ", \
        m["tiergate", 4] / m["direct", 4], m["tiergate", 4] / m["nginx", 4], m["tiergate", 4] / m["vertx", 4], \
        m["nginx", 4] / m["direct", 4], m["vertx", 4] / m["nginx", 4]
      printf "added latency vs direct p50 %+.3f ms, p99 %+.3f ms (nginx: p50 %+.3f, p99 %+.3f; vertx: p50 %+.3f, p99 %+.3f)\n", \
        m["tiergate", 5] - m["direct", 5], m["tiergate", 7] - m["direct", 7], m["nginx", 5] - m["direct", 5], \
        m["nginx", 7] - m["direct", 7], m["vertx", 5] - m["direct", 5], m["vertx", 7] - m["direct", 7]
    }
    printf "\ntiergate: ready %d ms after launch; RSS idle %s MiB, after the run %s MiB, peak (VmHWM) %s MiB\n", ready, idle, endrss, peak
  }' "$RESULTS" | tee "$OUT/overhead-report.md"
echo "raw rows: $RESULTS; wrk outputs: $OUT/wrk/" >&2
