# shellcheck shell=bash
# shellcheck disable=SC2034  # constants used by testbed/up and testbed/down
# Shared helpers and constants for testbed/up and testbed/down.
# Sourced, never executed. Constants follow docs/testbed.md (Shared constants).

TESTBED_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

STATE_DIR=/var/lib/cc-ci-testbed
DATA_ROOT=$STATE_DIR/docker
DOCKERD_LOG=$STATE_DIR/dockerd.log
BUILD_LOG_DIR=$STATE_DIR/build-logs
CACHE_DIR=/var/cache/cc-ci-testbed
RUN_DIR=/run/cc-ci-testbed
PIDFILE=$RUN_DIR/dockerd.pid
EXEC_ROOT=/run/docker            # dockerd's default exec-root (/var/run/docker)
DOCKER_SOCK=/var/run/docker.sock
ABRA_DIR=$STATE_DIR/abra
ABRA_SERVER=default
BACKUP_DIR=$STATE_DIR/backups
RESTIC_REPO=$BACKUP_DIR/restic
RESTIC_PWFILE=$BACKUP_DIR/restic-password
INGRESS_NAME=ccci-ingress      # the plain-HTTP nginx container of older testbeds, removed when found
INGRESS_PORT=8480              # the stand-in traefik's entrypoint "web" (redirects to HTTPS)
INGRESS_HTTPS_PORT=8443        # its entrypoint "web-secure"
INGRESS_STATE_DIR=$STATE_DIR/ingress
TRAEFIK_DOMAIN=traefik.ci.test
TRAEFIK_STACK=traefik_ci_test
TLS_DIR=$STATE_DIR/tls         # the testbed's CA (ca.pem: swarm.ingressCa) and its wildcard certificate
TLS_DOMAIN=ci.test
SWARM_ADDR_POOL=172.30.0.0/16
PROXY_NET=proxy
BACKUP_STACK=backups
HASH_LABEL=cc-ci.testbed.hash

# The docker CLI must talk to our daemon on the default socket, whatever the caller's environment says.
export DOCKER_HOST=unix://$DOCKER_SOCK
unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH
# The classic builder (no buildx here); silences nothing but makes the choice explicit.
export DOCKER_BUILDKIT=0
# Never let a CLI prompt for anything.
export DEBIAN_FRONTEND=noninteractive

_TB_NAME="$(basename "$0")"
_TB_T0=$(date +%s.%N)
_TB_STEP=""
_TB_STEP_T0=""
_TB_TIMINGS=()

now() { date +%s.%N; }
# elapsed <since> -> seconds with 2 decimals
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

log() { printf '[%s %s] %s\n' "$_TB_NAME" "$(date +%H:%M:%S)" "$*" >&2; }
warn() { log "WARNING: $*"; }
die() { log "ERROR: $*"; exit 1; }

# step <name>: ends the previous step (printing its time) and starts a new one.
step() {
  step_end
  _TB_STEP="$1"
  _TB_STEP_T0=$(now)
  log "== $1"
}
step_end() {
  if [[ -n "$_TB_STEP" ]]; then
    local t
    t=$(elapsed "$_TB_STEP_T0")
    log "   $_TB_STEP: ${t}s"
    _TB_TIMINGS+=("$_TB_STEP=${t}s")
    _TB_STEP=""
  fi
}
total_time() { elapsed "$_TB_T0"; }
timings_line() { local IFS=' '; echo "${_TB_TIMINGS[*]}"; }

# wait_until <timeout-seconds> <what we wait for> <command...>
# Polls the command (quietly) every 0.2 s until it succeeds; fails with a message naming what it waited for.
wait_until() {
  local timeout=$1 what=$2
  shift 2
  local deadline
  deadline=$(awk -v t="$(now)" -v d="$timeout" 'BEGIN { printf "%.3f", t + d }')
  while true; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if awk -v t="$(now)" -v d="$deadline" 'BEGIN { exit !(t > d) }'; then
      log "timed out after ${timeout}s waiting for: $what"
      return 1
    fi
    sleep 0.2
  done
}

# Serialise up/down runs (the lock is on this file; no file is created). Fd 9 must not leak into dockerd.
take_lock() {
  exec 9<"$TESTBED_DIR/lib.sh"
  if ! flock -n 9; then
    log "another testbed up/down is running; waiting for it (up to 15 min)"
    flock -w 900 9 || die "could not get the testbed lock (held by another testbed/up or testbed/down)"
  fi
}

# pid_alive <pid>: the process exists and is not a zombie. (PID 1 on these machines does not reap orphans, so a
# killed dockerd/containerd stays as a zombie that kill -0 still reports as alive.)
pid_alive() {
  local st
  [[ "$1" =~ ^[0-9]+$ ]] || return 1
  st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [[ -n "$st" && "$st" != Z && "$st" != X ]]
}
# pgrep_live <pgrep args...>: like pgrep, without zombies
pgrep_live() {
  local p
  for p in $(pgrep "$@" 2>/dev/null); do pid_alive "$p" && echo "$p"; done
  return 0
}

docker_answers() { timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# pid_is_our_dockerd <pid>: the pid is a live dockerd started with our data-root.
pid_is_our_dockerd() {
  local pid=$1 cmd
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  pid_alive "$pid" || return 1
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ "$cmd" == *dockerd* && "$cmd" == *"--data-root $DATA_ROOT"* ]]
}

# Live processes that are ours: dockerd with our data-root, and the containerd it started under our exec-root.
our_dockerd_pids() {
  local p
  for p in $(pgrep_live -x dockerd); do
    pid_is_our_dockerd "$p" && echo "$p"
  done
  return 0
}
our_containerd_pids() {
  local p cmd
  for p in $(pgrep_live -x containerd); do
    cmd=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) || continue
    [[ "$cmd" == *"$EXEC_ROOT/containerd/containerd.toml"* || "$cmd" == *"/var/run/docker/containerd/containerd.toml"* ]] && echo "$p"
  done
  return 0
}
our_shim_pids() {
  local p cmd
  for p in $(pgrep_live -f containerd-shim); do
    cmd=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) || continue
    [[ "$cmd" == *"-namespace moby"* && ( "$cmd" == *"$EXEC_ROOT/containerd/containerd.sock"* || "$cmd" == *"/var/run/docker/containerd/containerd.sock"* ) ]] && echo "$p"
  done | sort -u
  return 0
}
our_docker_proxy_pids() {
  pgrep_live -x docker-proxy
}

# Mount points at or under a directory, deepest first.
mounts_under() {
  local dir=$1
  findmnt -rn -o TARGET 2>/dev/null | awk -v d="$dir" '$0 == d || index($0, d "/") == 1' | sort -r
}
unmount_under() {
  local dir=$1 m
  while read -r m; do
    [[ -n "$m" ]] || continue
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || warn "could not unmount $m"
  done < <(mounts_under "$dir")
}

# Network links docker makes on the host: docker0, docker_gwbridge, br-<id>, veth*.
docker_links() {
  ip -o link show 2>/dev/null | awk -F': ' '{ print $2 }' | sed 's/@.*//' \
    | grep -E '^(docker0|docker_gwbridge|br-[0-9a-f]{12}|veth[0-9a-f]+)$' || true
}

# iptables rules (iptables-save syntax, "-A ..." lines) in table $1 that docker made in the built-in chains.
docker_builtin_rules() {
  local table=$1
  iptables-save -t "$table" 2>/dev/null | grep -E '^-A (INPUT|FORWARD|OUTPUT|PREROUTING|POSTROUTING) ' | while IFS= read -r line; do
    if [[ "$line" =~ (DOCKER|docker0|docker_gwbridge|[[:space:]]br-[0-9a-f]{12}) ]]; then
      echo "$line"
    # docker's hairpin rule for published ports: -s X/32 -d X/32 -p tcp -m tcp --dport N -j MASQUERADE
    elif [[ "$line" =~ ^-A\ POSTROUTING\ -s\ ([0-9.]+)/32\ -d\ ([0-9.]+)/32\ -p\ (tcp|udp)\ -m\ (tcp|udp)\ --dport\ [0-9]+\ -j\ MASQUERADE$ ]] \
      && [[ "${BASH_REMATCH[1]}" == "${BASH_REMATCH[2]}" ]]; then
      echo "$line"
    fi
  done
  return 0
}
docker_chains() {
  local table=$1
  iptables-save -t "$table" 2>/dev/null | sed -n 's/^:\(DOCKER[A-Za-z0-9_-]*\) .*/\1/p'
  return 0
}

# start_dockerd <timeout>: start our dockerd in its own session (outlives the caller), wait until it answers.
start_dockerd() {
  local timeout=$1 dpid deadline
  mkdir -p "$STATE_DIR" "$RUN_DIR"
  rm -f "$PIDFILE"
  # A containerd left by a killed dockerd: dockerd would adopt whatever its pid file names (even a zombie) and
  # then time out connecting to it. End a live orphan (its shims survive and are re-adopted), drop the pid file.
  local orphans
  mapfile -t orphans < <(our_containerd_pids)
  stop_pids "orphaned containerd" 10 "${orphans[@]}"
  rm -f "$EXEC_ROOT/containerd/containerd.pid"
  # Containers still running under the shims of a killed dockerd would be stopped by the new dockerd anyway
  # (no live-restore), each with its stop timeout; end them now so startup stays fast.
  kill_orphan_containers
  echo "===== $(date -Is) $_TB_NAME starting dockerd =====" >>"$DOCKERD_LOG"
  (
    cd /
    exec setsid nohup env DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 \
      dockerd --data-root "$DATA_ROOT" --pidfile "$PIDFILE"
  ) >>"$DOCKERD_LOG" 2>&1 </dev/null 9<&- &
  dpid=$!
  deadline=$(($(date +%s) + timeout))
  until docker_answers; do
    if ! pid_alive "$dpid" && [[ -z "$(our_dockerd_pids)" ]]; then
      tail -n 20 "$DOCKERD_LOG" >&2 || true
      log "dockerd exited during startup; see $DOCKERD_LOG (last lines above)"
      return 1
    fi
    if (($(date +%s) > deadline)); then
      tail -n 20 "$DOCKERD_LOG" >&2 || true
      log "timed out after ${timeout}s waiting for dockerd (pid $dpid) to answer 'docker version'; see $DOCKERD_LOG (last lines above)"
      return 1
    fi
    sleep 0.1
  done
  log "dockerd started, pid $(cat "$PIDFILE" 2>/dev/null || echo "$dpid"), log $DOCKERD_LOG"
}

# stop_pids <what> <seconds> <pid...>: TERM, wait up to <seconds>, then KILL
stop_pids() {
  local what=$1 secs=$2 p i alive
  shift 2
  (($#)) || return 0
  kill -TERM "$@" 2>/dev/null || true
  for ((i = 0; i < secs * 5; i++)); do
    alive=()
    for p in "$@"; do pid_alive "$p" && alive+=("$p"); done
    ((${#alive[@]})) || { log "stopped $what ($*)"; return 0; }
    sleep 0.2
  done
  warn "$what did not stop on TERM within ${secs}s; sending KILL to ${alive[*]}"
  kill -KILL "${alive[@]}" 2>/dev/null || true
  sleep 0.5
}

# iptables_table_empty <table>: only built-in chains, all with policy ACCEPT, and no rules
iptables_table_empty() {
  local out
  out=$(iptables-save -t "$1" 2>/dev/null) || return 1
  ! grep -vE '^(#.*|\*[a-z]+|COMMIT|:(INPUT|FORWARD|OUTPUT|PREROUTING|POSTROUTING) ACCEPT( \[[0-9]+:[0-9]+\])?)$' <<<"$out" | grep -q .
}

# kill_orphan_containers: SIGKILL the init process of every container still running under one of our shims
# (ends each container's pid namespace). Only for when no dockerd of ours runs.
kill_orphan_containers() {
  local s kids=()
  [[ -z "$(our_dockerd_pids)" ]] || return 0
  for s in $(our_shim_pids); do
    mapfile -t -O "${#kids[@]}" kids < <(pgrep -P "$s" 2>/dev/null)
  done
  if ((${#kids[@]})); then
    log "killing ${#kids[@]} container process(es) left by a dead dockerd"
    kill -KILL "${kids[@]}" 2>/dev/null || true
    sleep 0.3
  fi
  return 0
}
