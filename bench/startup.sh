#!/usr/bin/env bash
# Time to ready of `tiergate demo` (launch → first 200 on GET /ready) with the README's JVM flags, with and
# without the AppCDS archive the build records (target/tiergate.jsa). The arms alternate (and swap order
# every round) so drift on a shared machine hits both; one untimed launch per arm warms the file cache.
#   bench/startup.sh               # N=5 launches per arm
#   N=10 bench/startup.sh
# Writes bench/results/startup-<UTC date>-<short commit>.txt: the machine, the commands, one row per launch
# (ready ms, RSS and load average at ready) and a summary. Plain bash timing: hyperfine times a command to its exit, and the
# demo runs until it is stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-5}
JAR=target/tiergate.jar
JSA=target/tiergate.jsa
TIMEOUT_S=${TIMEOUT_S:-30}
POLL_S=0.02
FLAGS=(-XX:+UseSerialGC -Xms64m -Xmx512m)

[[ -f $JAR && -f $JSA ]] || mvn -B -q -ntp -DskipTests package
# A stale or mismatched archive is silently ignored by a normal launch, which would time "with" as "without".
if ! java -Xshare:on -XX:SharedArchiveFile=$JSA -jar $JAR --help >/dev/null 2>&1; then
  echo "startup.sh: $JSA cannot be mapped for $JAR (rebuild with mvn package)" >&2
  exit 1
fi

# Four distinct free loopback ports: the gateway's and the three sims'.
free_ports() {
  python3 -c '
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()'
}

PID=
stop() {
  [[ -n $PID ]] || return 0
  kill -TERM "$PID" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  PID=
}
trap stop EXIT

# One launch of the arm given (cds|nocds); sets RESULT to "ready_ms rss_kib load1". Not run in a subshell, so
# PID stays visible to the EXIT trap and a failed launch is stopped too.
launch() {
  local arm=$1 port cmd t0 t1
  read -r port TIERGATE_DEMO_FAST_PORT TIERGATE_DEMO_MAX_PORT TIERGATE_DEMO_PREFILL_PORT <<<"$(free_ports)"
  export TIERGATE_DEMO_FAST_PORT TIERGATE_DEMO_MAX_PORT TIERGATE_DEMO_PREFILL_PORT
  cmd=(java)
  if [[ $arm == cds ]]; then cmd+=(-XX:SharedArchiveFile=$JSA); fi
  cmd+=("${FLAGS[@]}" -jar $JAR demo --port "$port")
  t0=$(date +%s%N)
  "${cmd[@]}" >>"$LOG" 2>&1 &
  PID=$!
  until curl -s -o /dev/null -f --max-time 1 "http://127.0.0.1:$port/ready"; do
    if ! kill -0 "$PID" 2>/dev/null; then
      echo "startup.sh: the $arm launch exited before it was ready (see $LOG)" >&2
      exit 1
    fi
    if (( ($(date +%s%N) - t0) / 1000000000 >= TIMEOUT_S )); then
      echo "startup.sh: the $arm launch was not ready after $TIMEOUT_S s (see $LOG)" >&2
      exit 1
    fi
    sleep $POLL_S
  done
  t1=$(date +%s%N)
  RESULT="$(( (t1 - t0) / 1000000 )) $(awk '/^VmRSS:/ {print $2}' "/proc/$PID/status") $(cut -d' ' -f1 /proc/loadavg)"
  stop
}

commit=$(git rev-parse --short HEAD)
dirty=$(git status --porcelain --untracked-files=no | grep -q . && echo ", work tree modified" || true)
mkdir -p bench/results
OUT=bench/results/startup-$(date -u +%Y%m%d)-$commit.txt
LOG=${LOG:-/tmp/tiergate-startup.log}
: >"$LOG"

{
  echo "# tiergate time to ready: launch of \`demo\` -> first 200 on GET /ready (bench/startup.sh)"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $commit$dirty"
  echo "machine: nproc $(nproc); $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'); $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $(uname -sr)"
  echo "java: $(java -version 2>&1 | tr '\n' ' ' | sed 's/ *$//')"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "with CDS:    java -XX:SharedArchiveFile=$JSA ${FLAGS[*]} -jar $JAR demo --port FREE"
  echo "without CDS: java ${FLAGS[*]} -jar $JAR demo --port FREE"
  echo "(free loopback ports for the gateway and the three sims; curl polls /ready every ${POLL_S}s; N=$N per arm,"
  echo " alternating, order swapped every round, after one untimed launch per arm)"
  echo "round arm ready_ms rss_kib load1 (load1: the 1-minute load average when it was ready; 2 cores)"
} >"$OUT"

launch cds
launch nocds
for round in $(seq 1 "$N"); do
  order=(cds nocds)
  if (( round % 2 == 0 )); then order=(nocds cds); fi
  for arm in "${order[@]}"; do
    launch "$arm"
    echo "$round $arm $RESULT" | tee -a "$OUT"
  done
done

{
  echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
  for arm in cds nocds; do
    awk -v arm="$arm" '$2 == arm && $1 ~ /^[0-9]+$/ {print $3}' "$OUT" | sort -n | awk -v arm="$arm" '
      { v[NR] = $1 }
      END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "summary %s: n %d, min %d ms, median %d ms, max %d ms\n", arm, NR, v[1], m, v[NR] }'
  done
} >>"$OUT"
tail -3 "$OUT"
echo "wrote $OUT"
