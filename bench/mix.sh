#!/usr/bin/env bash
# bench mix, the full run: one seeded mixed workload (interactive chats, agent turns growing 20k -> 60k tokens,
# ~100k-token batch prefills, Poisson arrivals) replayed against round-robin, the static length rule, and
# predicted-TTFT routing with admission control, each on fresh in-process simulators calibrated like the demo.
# Several minutes per configuration (arrivals for DURATION seconds, then the stragglers).
#
#   bench/mix.sh                          # the defaults of `bench mix` (see `tiergate bench help`)
#   DURATION=600 RATE=0.3 SEED=7 bench/mix.sh
#
# Env: DURATION (s), RATE (requests/s, all classes), SEED, CONFIGS (rr,rule,predicted[,predicted-completion]),
# OUT (/tmp/tiergate-bench/mix), TAG (added to the results' file names, so two runs of one commit do not clash).
# Writes bench/results/mix-<date>-<commit>.txt (machine, command, table, the gateways' warnings) and .json (every request).
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=target/tiergate.jar
[[ -f $JAR ]] || { echo "build first: mvn -B -q package -DskipTests" >&2; exit 2; }
OUT=${OUT:-/tmp/tiergate-bench/mix}; mkdir -p "$OUT" bench/results
COMMIT=$(git rev-parse --short HEAD)
BASE=bench/results/mix-$(date +%Y%m%d)-$COMMIT${TAG:+-$TAG}
ARGS=()
[[ -n ${DURATION:-} ]] && ARGS+=(--duration "$DURATION")
[[ -n ${RATE:-} ]] && ARGS+=(--rate "$RATE")
[[ -n ${SEED:-} ]] && ARGS+=(--seed "$SEED")
[[ -n ${CONFIGS:-} ]] && ARGS+=(--configs "$CONFIGS")
{
  echo "# bench/mix.sh on $(date -u +%FT%TZ), commit $COMMIT$(git diff --quiet HEAD -- src config pom.xml || echo ' + uncommitted changes')"
  echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# $(java -version 2>&1 | head -1)"
  echo "# java -Xmx1g -jar $JAR bench mix ${ARGS[*]} --json $BASE.json"
  echo
} >"$BASE.txt"
set +e
java -Xmx1g -jar "$JAR" bench mix "${ARGS[@]}" --json "$BASE.json" 2>"$OUT/stderr.txt" | tee -a "$BASE.txt"
STATUS=${PIPESTATUS[0]}
set -e
{
  echo
  echo "# load at the end: $(cut -d' ' -f1-3 /proc/loadavg); exit status $STATUS"
  echo "# stderr without the progress lines (the gateways' own log):"
  grep -v '^\[[0-9]*/[0-9]* ' "$OUT/stderr.txt" | sed 's/^/#   /' || true
} >>"$BASE.txt"
echo "raw results: $BASE.txt and $BASE.json"
exit "$STATUS"
