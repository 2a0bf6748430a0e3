# shellcheck shell=bash
# Shared helpers of the lab scenarios: talk to hosts, read JSON, wait with a bound, report figures.
set -euo pipefail
SCENARIO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCENARIO_DIR/../.." && pwd)
LAB="$REPO/lab/lab"
CHAIN_URL=${LAB_CHAIN_URL:-http://10.77.0.10:7700}
export VALIDATOR=${LAB_VALIDATOR:-val1}
RESULTS=${LAB_RESULTS:-/var/lib/understudy-lab/results}
mkdir -p "$RESULTS"

say() { printf '%s %s: %s\n' "$(date +%H:%M:%S.%3N)" "${SCENARIO:-scenario}" "$*" >&2; }
fail() { say "FAILED: $*"; exit 1; }
now_ms() { date +%s%3N; }

# on HOST CMD...: a command on a lab host over SSH (pinned key).
on() { "$LAB" ssh "$@"; }
# as_service HOST CMD...: a command as the understudy service user.
as_service() { local h=$1; shift; on "$h" runuser -u understudy -- "$@"; }
# chain PATH: GET from the chain's API through the control namespace.
chain() { "$LAB" exec curl -sf --max-time 3 "$CHAIN_URL$1"; }
# node HOST: the simnet node's own status on HOST.
node() { on "$1" curl -sf --max-time 3 127.0.0.1:7701/status; }

# wait_until SECONDS DESCRIPTION CMD...: run CMD until it succeeds, at most SECONDS.
wait_until() {
  local limit=$1 what=$2 deadline=$((SECONDS + $1))
  shift 2
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || fail "timed out after ${limit} s waiting for $what"
    sleep 0.5
  done
}

# log_ms HOST PATTERN: epoch ms of the first journal line on HOST containing PATTERN (the hosts' clock is the
# machine's, so times from different hosts compare).
log_ms() {
  local line
  line=$(on "$1" "journalctl -o short-iso-precise --no-pager | grep -F -- '$2' | head -1") || return 1
  [ -n "$line" ] || return 1
  date -d "$(echo "$line" | awk '{print $1}')" +%s%3N
}

# record NAME JSON: keep a figure for the docs (one JSON object per line).
record() { printf '{"scenario":"%s","at":"%s",%s\n' "${SCENARIO:-scenario}" "$(date -Is)" "${2#\{}" >>"$RESULTS/$1.jsonl"; }
