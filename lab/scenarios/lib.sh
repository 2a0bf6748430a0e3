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
# A scenario that runs a playbook of its own leaves this mark, so that lab/molecule-run's next converge of a
# shared lab runs instead of being skipped as already done.
RECONFIGURED=${LAB_RECONFIGURED:-/var/lib/understudy-lab/reconfigured}
mark_reconfigured() { mkdir -p "$(dirname "$RECONFIGURED")" && echo "$(date +%T) ${SCENARIO:-scenario}: $*" >>"$RECONFIGURED"; }
# unmark_reconfigured: this scenario has put the lab back as site.yml leaves it (its marks removed, others kept).
unmark_reconfigured() { [ ! -f "$RECONFIGURED" ] || sed -i "/^[0-9:]* ${SCENARIO:-scenario}: /d" "$RECONFIGURED"; }

say() { printf '%s %s: %s\n' "$(date +%H:%M:%S.%3N)" "${SCENARIO:-scenario}" "$*" >&2; }
# fail MESSAGE: the scenario failed; the role's state, the chain's view and both agents' last decisions go to
# stderr with it (bounded, best effort), so a failure in CI explains itself.
# The FAILED line also goes to $RESULTS/failures.log, which lab/molecule-run prints at the end of a failed run
# (CI keeps only the end of the output).
fail() {
  say "FAILED: $*"
  printf '%s %s: FAILED: %s\n' "$(date +%H:%M:%S.%3N)" "${SCENARIO:-scenario}" "$*" >>"$RESULTS/failures.log" || true
  {
    echo "--- understudy status (monitor)"
    timeout 10 "$LAB" ssh monitor understudy status 2>&1 | head -12
    echo "--- chain: $(timeout 5 "$LAB" exec curl -sf --max-time 3 "$CHAIN_URL/validators/val1" 2>&1 | head -c 600)"
    echo "--- the lab's watchdog resets, last 3 (lab/watchdog-emulator):"
    tail -3 "${LAB_STATE:-/var/lib/understudy-lab}/watchdog.log" 2>&1
    for h in main backup; do
      echo "--- $h: understudy-agent $(timeout 5 "$LAB" ssh "$h" systemctl show -p ActiveState,SubState,ActiveEnterTimestamp,NRestarts \
        understudy-agent 2>&1 | tr '\n' ' '), last 60 s"
      timeout 10 "$LAB" ssh "$h" "journalctl -u understudy-agent --since '-60 s' --no-pager -o short-precise | tail -25" 2>&1
      echo "--- $h: node $(timeout 5 "$LAB" ssh "$h" curl -sf --max-time 3 127.0.0.1:7701/status 2>&1 | jq -c 'del(.keys)' 2>&1 | head -c 900)"
    done
  } >&2 || true
  exit 1
}
now_ms() { date +%s%3N; }

# on HOST CMD...: a command on a lab host over SSH (pinned key).
on() { "$LAB" ssh "$@"; }
# as_service HOST CMD...: a command as the understudy service user.
as_service() { local h=$1; shift; on "$h" runuser -u understudy -- "$@"; }
# chain PATH: GET from the chain's API through the control namespace.
chain() { "$LAB" exec curl -sf --max-time 3 "$CHAIN_URL$1"; }
# node HOST: the simnet node's own status on HOST.
node() { on "$1" curl -sf --max-time 3 127.0.0.1:7701/status; }

# wait_until_ok SECONDS CMD...: run CMD until it succeeds, at most SECONDS; 1 if it never did. Between tries it
# waits 0.5 s, or as long as the try took when that was longer: a check that starts a JVM on a lab host
# (`understudy status` costs about 2 s of CPU there) then keeps a core busy half the time instead of all of it,
# leaving the agents more of the 2-core machine while a scenario waits.
wait_until_ok() {
  local deadline=$((SECONDS + $1)) t0 ms
  shift
  while true; do
    t0=${EPOCHREALTIME/./}
    "$@" >/dev/null 2>&1 && return 0
    [ $SECONDS -lt $deadline ] || return 1
    ms=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
    [ "$ms" -gt 500 ] || ms=500
    sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
  done
}

# wait_until SECONDS DESCRIPTION CMD...: the same, and the scenario fails if CMD never succeeded.
wait_until() {
  local limit=$1 what=$2
  shift 2
  wait_until_ok "$limit" "$@" || fail "timed out after ${limit} s waiting for $what"
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

# ------------------------------------------------------------------ the signing role and the chain

# status: `understudy status --json` from the monitor (it reaches etcd while main or backup are cut off).
status_json() { on monitor understudy status --json; }
# holder: the leader key's holder. A status that fails (etcd busy: a member that has just booted answers late) is
# asked again, at most 3 times, so a check never reads "no holder" from a failed look.
holder() {
  local out try
  for try in 1 2 3; do
    out=$(status_json 2>/dev/null) && { echo "$out" | jq -r '.leader.holder // empty'; return 0; }
    [ "$try" -lt 3 ] && sleep 1
  done
  return 1
}
holder_is() { [ "$(holder)" = "$1" ]; }
chain_round() { chain /status | jq -r .round; }
signer_of() { node "$1" | jq -r .signerInstance; }
node_is() { [ "$(node "$1" | jq -r ".$2")" = "$3" ]; }

# rounds_json FROM TO: the chain's per-round record of the validator.
rounds_json() { chain "/rounds?validator=$VALIDATOR&from=$1&to=$2"; }
# main_votes_land: the chain has the main's vote, on time, in at least 3 of the last 4 settled rounds.
main_votes_land() {
  local s r
  s=$(signer_of main) && r=$(chain_round) || return 1
  rounds_json $((r - 5)) $((r - 2)) | jq -e --arg s "$s" '[.[] | select(.onTime and any(.signers[]; .signer == $s))] | length >= 3' >/dev/null
}

# gap_between SIGNER_A SIGNER_B FROM TO: rounds between A's last vote and B's first vote after it (no vote from
# anyone in between): the rounds a handover cost.
gap_between() {
  rounds_json "$3" "$4" | jq --arg a "$1" --arg b "$2" '
    ([.[] | select(any(.signers[]; .signer == $a)) | .round] | max) as $last
    | ([.[] | select(.round > $last and any(.signers[]; .signer == $b)) | .round] | min) as $first
    | if $last == null or $first == null then -1 else $first - $last - 1 end'
}

# longest_gap FROM TO: the longest run of rounds in the set without an on-time vote.
longest_gap() { chain "/validators/$VALIDATOR/summary?from=$1&to=$2" | jq .longestGapRounds; }

# assert_no_double_sign FROM: the oracle, up to the current round (late votes included).
assert_no_double_sign() {
  local v
  v=$(chain "/validators/$VALIDATOR/summary?from=$1")
  [ "$(echo "$v" | jq .doubleSigns)" = 0 ] || fail "DOUBLE SIGN: $v"
  say "verdict from round $1: no double sign ($(echo "$v" | jq -c '{signedRounds, missedRounds, lateVotes, signerInstances}'))"
}

# agent_log_ms HOST PATTERN: time of the first agent log line with PATTERN, read through the host's
# namespaces (works while the host is cut off).
agent_log_ms() {
  local line
  line=$("$LAB" run "$1" journalctl -u understudy-agent -o short-iso-precise --no-pager | grep -F -- "$2" | tail -1) || return 1
  [ -n "$line" ] || return 1
  date -d "$(echo "$line" | awk '{print $1}')" +%s%3N
}

# unplug_watchdog HOST / plug_watchdog HOST: the lab's watchdog emulator leaves HOST alone, as if its agent ran with
# watchdog.driver none (the default), and takes it back.
unplug_watchdog() { touch "${LAB_STATE:-/var/lib/understudy-lab}/hosts/$1/watchdog-unplugged"; }
plug_watchdog() { rm -f "${LAB_STATE:-/var/lib/understudy-lab}/hosts/$1/watchdog-unplugged"; }

# etcdctl_as HOST ARGS...: etcdctl on HOST as HOST's own etcd user (its client certificate and password, as the
# helper there logs in), against every member. Prints etcdctl's output and error; its exit code is etcdctl's.
etcdctl_as() {
  local h=$1
  shift
  on "$h" "ETCDCTL_USER=\"understudy-lab-$h:\$(cat /etc/understudy/etcd/password)\" etcdctl --endpoints=https://10.77.0.11:2379,https://10.77.0.12:2379,https://10.77.0.13:2379 --cacert /etc/understudy/etcd/ca.crt --cert /etc/understudy/etcd/client.crt --key /etc/understudy/etcd/client.key --dial-timeout=2s --command-timeout=5s $* 2>&1"
}

# hosts_up: no fault left, every host running and no agent frozen.
hosts_up() {
  "$LAB" heal >/dev/null 2>&1 || true
  local h
  for h in main backup; do plug_watchdog "$h"; done
  for h in main backup monitor; do
    "$LAB" status | grep -q "^$h .*running" || "$LAB" start "$h" >/dev/null
    "$LAB" thaw "$h" understudy-agent >/dev/null 2>&1 || true
    [ "$h" = monitor ] || "$LAB" thaw "$h" simnet-node >/dev/null 2>&1 || true
  done
}

# baseline: no fault, every host up and every agent running, main holding and signing, backup synced with keys.
# agents_reporting: the monitor sees a status of both agents (each published since its start).
agents_reporting() { status_json | jq -e '[.hosts[] | select(.status.updatedAtMs != null)] | length == 2' >/dev/null; }

baseline() {
  hosts_up
  wait_until 90 "all etcd members answering" etcd_whole
  wait_until 90 "both agents reporting" agents_reporting
  if ! holder_is lab-main; then
    wait_until 90 "main ready for failback" bash -c "'$LAB' ssh monitor understudy status --json | jq -e '.hosts[] | select(.host == \"lab-main\") | .status.synced and .status.keys.current and .status.keys.nextBehind == null'"
    # a host that has just booted can keep etcd busy for a moment: ask again before giving up
    local try
    for try in 1 2 3; do
      on main understudy failback >/dev/null && break
      [ "$try" -lt 3 ] || fail "failback to main did not complete"
      sleep 3
    done
  fi
  wait_until 60 "main signing" node_is main signing true
  # and the chain records it: a main that says it signs but whose votes do not land (possible right after a reboot
  # and failback) is demoted by the watchdog a few seconds later, in the middle of the next scenario
  wait_until 60 "the chain recording main's votes" main_votes_land
  wait_until 90 "backup synced with keys for the current period" bash -c "'$LAB' ssh monitor understudy status --json | jq -e '.hosts[] | select(.host == \"lab-backup\") | .status.synced and .status.keys.current and (.status.role == \"standby\")'"
}

# etcd_whole: every etcd member answers (a host that has just booted: its member is back in the cluster, so
# taking another host down next leaves a quorum).
etcd_whole() { status_json | jq -e '.etcd.members > 0 and .etcd.answering == .etcd.members' >/dev/null; }

# longest_renewal HOST SINCE: the longest wait for a lease renewal the holder's agent on HOST logged since the
# epoch second SINCE (it logs those over half its fence window), in ms; 0 when none was that long.
longest_renewal() {
  on "$1" journalctl -u understudy-agent --since "@$2" --no-pager -o cat \
    | sed -n 's/.*lease renewed \([0-9]*\) ms after.*/\1/p' | sort -n | tail -1 | grep . || echo 0
}

# etcdctl_root FROM ARGS...: etcdctl as etcd's root user on host FROM, against every member; the password goes
# on stdin, never on a command line. ARGS are fixed words (they pass through the remote shell).
ETCD_ROOT_PW=${LAB_ETCD_ROOT_PW:-/var/lib/understudy-lab/pki/etcd-root.pw}
etcdctl_root() {
  local from=$1; shift
  on "$from" "read -r pw; ETCDCTL_USER=\"root:\$pw\" etcdctl --endpoints=https://10.77.0.11:2379,https://10.77.0.12:2379,https://10.77.0.13:2379 --cacert /etc/understudy/etcd/ca.crt --cert /etc/understudy/etcd/client.crt --key /etc/understudy/etcd/client.key --dial-timeout=2s --command-timeout=5s $*" <"$ETCD_ROOT_PW"
}
# etcd_leader FROM: the address of the member that leads etcd, as host FROM's etcdctl sees it.
etcd_leader() { etcdctl_root "$1" endpoint status | awk -F', ' '$5 == "true" { sub("https://", "", $1); sub(":.*", "", $1); print $1 }'; }
# etcd_lead HOST FROM: makes HOST's member the etcd leader (etcdctl move-leader, run on FROM), so that losing
# HOST loses the leader too: a holder then rides out an election as well as a missing member.
etcd_lead() {
  local h=$1 from=$2 addr id
  addr=$("$LAB" addr "$h")
  [ "$(etcd_leader "$from")" = "$addr" ] && return 0
  id=$(etcdctl_root "$from" endpoint status | awk -F', ' -v a="https://$addr:" 'index($1, a) == 1 { print $2 }')
  [ -n "$id" ] || fail "no etcd member at $addr"
  etcdctl_root "$from" move-leader "$id" >/dev/null
  [ "$(etcd_leader "$from")" = "$addr" ] || fail "etcd's leadership did not move to $h ($addr)"
}

# within N LO HI: LO <= N <= HI (N a number).
within() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }

# ------------------------------------------------------------------ alerts (the lab's receiver on the monitor)

SINK_URL=${LAB_SINK_URL:-http://10.77.0.13:9099}
sink_received() { "$LAB" exec curl -sf --max-time 3 "$SINK_URL/received"; }

# sink_alerts SINCE_MS: every alert the receiver got as an Alertmanager webhook at or after SINCE_MS, one JSON
# object per line: {at, status, name, subject, annotations, authSha256}.
sink_alerts() {
  sink_received | jq -c --argjson since "$1" '
    select(.kind == "webhook" and .receivedAtMs >= $since) | .receivedAtMs as $t | .authSha256 as $auth
    | .body.alerts[] | {at: $t, status, name: .labels.alertname, subject: (.labels.subject // ""), annotations, authSha256: $auth}'
}

# sink_telegram SINCE_MS: the Telegram messages the receiver got at or after SINCE_MS: {at, text, tokenSha256}.
sink_telegram() {
  sink_received | jq -c --argjson since "$1" '
    select(.kind == "telegram" and .receivedAtMs >= $since) | {at: .receivedAtMs, text: .body.text, tokenSha256}'
}

# wait_alert SECONDS SINCE_MS NAME STATUS [SUBJECT]: wait for a webhook alert NAME with STATUS (firing or resolved)
# received at or after SINCE_MS; prints the first match.
wait_alert() {
  local limit=$1 since=$2 name=$3 status=$4 subject=${5:-} deadline=$((SECONDS + $1)) found
  while :; do
    found=$(sink_alerts "$since" 2>/dev/null | jq -c --arg n "$name" --arg s "$status" --arg sub "$subject" \
      'select(.name == $n and .status == $s and ($sub == "" or .subject == $sub))' | head -1) || true
    [ -z "$found" ] || { echo "$found"; return 0; }
    if [ $SECONDS -ge $deadline ]; then
      # what the watchdog did meanwhile, for whoever reads the failure
      on monitor "journalctl -u understudy-watchdog -n 25 --no-pager; cat /var/lib/understudy/alerts.json" >&2 2>/dev/null || true
      fail "no $status $name${subject:+ ($subject)} reached the receiver within ${limit} s"
    fi
    sleep 0.5
  done
}

# sha256_of TEXT: hex SHA-256 of TEXT (no newline).
sha256_of() { printf '%s' "$1" | sha256sum | awk '{print $1}'; }
