#!/usr/bin/env bash
# Start / stop real MLflow tracking servers on loopback for mlgate's live tests.
#
# Usage:
#   scripts/live/servers.sh start STATE_DIR
#   scripts/live/servers.sh stop  STATE_DIR
#
# start
#   1. Installs pinned MLflow into cached venvs (skipped when already there):
#        $MLGATE_CACHE_DIR/venv3  mlflow[auth]==3.17.2
#        $MLGATE_CACHE_DIR/venv2  mlflow[auth]==2.22.*  sqlalchemy<2.1
#      (MLGATE_CACHE_DIR defaults to $HOME/.cache/mlgate; python: $MLGATE_PYTHON or python3)
#   2. Starts the servers named in $MLGATE_SERVERS (default: all four) on free
#      127.0.0.1 ports, each in its own process group, with its own sqlite store and
#      proxied artifact store under STATE_DIR/<server>/:
#        mlflow3       MLflow 3.17.2, --workers 1, MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false
#        mlflow2       MLflow 2.22.x, --workers 1
#        mlflow3-auth  as mlflow3, plus --app-name basic-auth
#        mlflow2-auth  as mlflow2, plus --app-name basic-auth
#      Basic-auth servers use default_permission = NO_PERMISSIONS.
#   3. Populates each one with scripts/live/populate.py -> STATE_DIR/<server>.ids.json
#   4. Writes STATE_DIR/env.sh (source it). For each started server:
#        MLGATE_TEST_{MLFLOW3,MLFLOW2,MLFLOW3_AUTH,MLFLOW2_AUTH}_URI   http://127.0.0.1:PORT
#        MLGATE_TEST_{MLFLOW3,MLFLOW2,MLFLOW3_AUTH,MLFLOW2_AUTH}_IDS   STATE_DIR/<server>.ids.json
#      plus MLGATE_TEST_STATE_DIR, MLGATE_TEST_MLFLOW{3,2}_PYTHON (venv python, for baseline.py)
#      and, when a basic-auth server runs, MLGATE_TEST_AUTH_{ADMIN,READER,NOGRANT,MANAGER}_
#      {USER,PASSWORD}: reader has READ on lab-credit-model and its experiment, nogrant has
#      no grant (403 everywhere), manager has MANAGE on lab-bad-model.
#   On any failure (or SIGINT/SIGTERM) start stops whatever it started and exits non-zero.
#   A second start on the same STATE_DIR stops the old servers and starts from scratch.
#
# stop
#   Kills every server process group recorded under STATE_DIR (SIGTERM to all at once,
#   SIGKILL after 10 s) and any populate.py still running.
#   Safe to call twice, and after a start that failed halfway (use it in `trap ... EXIT`).
#
# Environment knobs:
#   MLGATE_SERVERS         subset to start, e.g. "mlflow3 mlflow3-auth"
#   MLGATE_CACHE_DIR       venv cache (default $HOME/.cache/mlgate)
#   MLGATE_PYTHON          interpreter used to create the venvs (default python3, must be 3.10+)
#   MLGATE_HEALTH_TIMEOUT  seconds to wait for /health (default 120)
#   MLGATE_POPULATE_JOBS   populate.py processes run at once (default 2; 4 was slower on 2 cores)
#   MLGATE_SERVER_DEFAULTS=1  start MLflow as shipped (no --workers 1, job execution left on):
#                          3.17's four uvicorn workers and its keep-alive penalty (scripts/bench bulk)
# Needs bash >= 5 (EPOCHREALTIME), curl, flock, setsid; network access to PyPI on first run.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ALL_SERVERS="mlflow3 mlflow2 mlflow3-auth mlflow2-auth"
MLFLOW3_SPEC="mlflow[auth]==3.17.2"
MLFLOW2_SPEC="mlflow[auth]==2.22.*"
MLFLOW2_EXTRA="sqlalchemy<2.1"

ADMIN_USER="admin"
ADMIN_PASSWORD="Admin-Passw0rd-123"
READER_USER="reader"
READER_PASSWORD="Reader-Passw0rd-123"
NOGRANT_USER="nogrant"
NOGRANT_PASSWORD="Nogrant-Passw0rd-123"
MANAGER_USER="manager"
MANAGER_PASSWORD="Manager-Passw0rd-123"

T_START="${EPOCHREALTIME}"
log() { printf '[live %6.1fs] %s\n' "$(awk -v a="$T_START" -v b="${EPOCHREALTIME}" 'BEGIN{print b-a}')" "$*"; }
die() { log "ERROR: $*" >&2; exit 1; }
since() { awk -v a="$1" -v b="${EPOCHREALTIME}" 'BEGIN{printf "%.1f", b-a}'; }

usage() { echo "usage: $0 start|stop STATE_DIR" >&2; exit 2; }

# ---------------------------------------------------------------- stop ------
do_stop() { # do_stop STATE_DIR: SIGTERM every recorded group at once, SIGKILL after 10 s
  local state="$1" pidfile pgid i
  [[ -d "$state" ]] || return 0
  local -A group_of=()
  shopt -s nullglob
  for pidfile in "$state"/*/populate.pid; do # populate.py still running (start interrupted)
    pgid="$(cat "$pidfile" 2>/dev/null || true)"
    if [[ "$pgid" =~ ^[0-9]+$ ]]; then kill -TERM "$pgid" 2>/dev/null || true; fi
    rm -f "$pidfile"
  done
  for pidfile in "$state"/*/server.pid; do
    pgid="$(cat "$pidfile" 2>/dev/null || true)"
    if [[ "$pgid" =~ ^[0-9]+$ ]] && kill -0 -- "-$pgid" 2>/dev/null; then
      kill -TERM -- "-$pgid" 2>/dev/null || true
      group_of[$pidfile]="$pgid"
    else
      rm -f "$pidfile"
    fi
  done
  shopt -u nullglob
  for i in $(seq 1 50); do
    for pidfile in "${!group_of[@]}"; do
      pgid="${group_of[$pidfile]}"
      if ! kill -0 -- "-$pgid" 2>/dev/null; then
        log "stopped $(basename "$(dirname "$pidfile")") (process group $pgid)"
        rm -f "$pidfile"
        unset "group_of[$pidfile]"
      fi
    done
    ((${#group_of[@]})) || return 0
    sleep 0.2
  done
  for pidfile in "${!group_of[@]}"; do
    pgid="${group_of[$pidfile]}"
    kill -KILL -- "-$pgid" 2>/dev/null || true
    log "killed $(basename "$(dirname "$pidfile")") (process group $pgid, SIGTERM ignored for 10 s)"
    rm -f "$pidfile"
  done
  return 0
}

# ------------------------------------------------------------- install ------
# ensure_venv DIR SPEC [EXTRA...]: (re)creates DIR and installs SPEC unless the marker
# file says this exact request was installed and mlflow's metadata is still there.
ensure_venv() {
  local venv="$1" spec="$2"; shift 2
  local want="$spec $*" marker="$venv/.mlgate-installed"
  if [[ -f "$marker" && "$(head -n1 "$marker")" == "$want" && -x "$venv/bin/mlflow" ]] \
    && "$venv/bin/python" - "$spec" <<'EOF' 2>/dev/null; then
import sys
from importlib.metadata import version
from packaging.requirements import Requirement
req = Requirement(sys.argv[1])
sys.exit(0 if req.specifier.contains(version(req.name), prereleases=True) else 1)
EOF
    log "$(basename "$venv"): cached mlflow $(sed -n 2p "$marker") ($venv)"
    return 0
  fi
  local t0="${EPOCHREALTIME}" py="${MLGATE_PYTHON:-python3}"
  log "$(basename "$venv"): installing $want (cold, ~40-60 s) ..."
  rm -rf "$venv"
  "$py" -m venv "$venv"
  if ! "$venv/bin/python" -m pip install -q --disable-pip-version-check "$spec" "$@" \
      >"$venv.pip.log" 2>&1; then
    tail -n 30 "$venv.pip.log" >&2
    rm -rf "$venv"
    die "pip install $want failed (log: $venv.pip.log)"
  fi
  local v
  v="$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("mlflow"))')"
  printf '%s\n%s\n' "$want" "$v" >"$marker"
  log "$(basename "$venv"): installed mlflow $v in $(since "$t0") s ($(du -sh "$venv" | cut -f1))"
}

# --------------------------------------------------------------- start ------
free_ports() { # free_ports N -> N distinct free loopback ports, one a line
  "${MLGATE_PYTHON:-python3}" - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
    s.close()
EOF
}

write_auth_ini() { # write_auth_ini DATA_DIR MAJOR
  local data="$1" major="$2"
  {
    echo "[mlflow]"
    echo "default_permission = NO_PERMISSIONS"
    echo "database_uri = sqlite:///$data/basic_auth.db"
    echo "admin_username = $ADMIN_USER"
    echo "admin_password = $ADMIN_PASSWORD"
    echo "authorization_function = mlflow.server.auth:authenticate_request_basic_auth"
    if [[ "$major" == 3 ]]; then
      # caches successful password checks (~100 ms each otherwise); 3.x only
      echo "auth_cache_ttl_seconds = 60"
    fi
  } >"$data/basic_auth.ini"
}

launch() { # launch NAME PORT
  local name="$1" port="$2" data="$STATE/$1" venv major auth=0
  case "$name" in
    mlflow3*) venv="$VENV3"; major=3 ;;
    mlflow2*) venv="$VENV2"; major=2 ;;
  esac
  [[ "$name" == *-auth ]] && auth=1
  mkdir -p "$data/artifacts"
  echo "$port" >"$data/port"
  local args=(--host 127.0.0.1 --port "$port"
    --backend-store-uri "sqlite:///$data/mlflow.db"
    --artifacts-destination "$data/artifacts" --serve-artifacts)
  local envs=(MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true)
  if [[ "${MLGATE_SERVER_DEFAULTS:-0}" != 1 ]]; then
    args+=(--workers 1)
    [[ "$major" == 3 ]] && envs+=(MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false)
  fi
  # MLflow 3.3+ webhooks to a guard on loopback (tests/it/guard_live): http and private
  # addresses allowed, no 60 s subscription cache, and one fixed secret-encryption key (a
  # Fernet key; test-only) so that every worker can read a webhook's secret, and so can a
  # restarted server: without it each worker makes its own and deliveries are lost.
  [[ "$major" == 3 ]] && envs+=(MLFLOW_WEBHOOK_ALLOWED_SCHEMES=http,https
    MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS=true MLFLOW_WEBHOOK_CACHE_TTL=1
    MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY=bWxnYXRlLWxpdmUtd2ViaG9vay10ZXN0LWtleS0zMmI=)
  if [[ $auth == 1 ]]; then
    write_auth_ini "$data" "$major"
    args+=(--app-name basic-auth)
    envs+=(MLFLOW_AUTH_CONFIG_PATH="$data/basic_auth.ini"
      MLFLOW_FLASK_SERVER_SECRET_KEY="mlgate-live-$RANDOM$RANDOM"
      MLFLOW_AUTH_ADMIN_USERNAME="$ADMIN_USER" MLFLOW_AUTH_ADMIN_PASSWORD="$ADMIN_PASSWORD")
  fi
  # `bash -c 'echo $$ ...; exec ...'` under setsid: the pid written is the new session's
  # (and process group's) leader even if setsid had to fork.
  # The outer subshell exits at once, so the server is not a child of this script
  # (nothing here can end up waiting for it).
  (cd "$data" || exit 1
    env -u MLFLOW_TRACKING_URI -u MLFLOW_TRACKING_USERNAME \
      -u MLFLOW_TRACKING_PASSWORD "${envs[@]}" \
      setsid bash -c 'echo $$ >"$0"; exec "$@"' "$data/server.pid" \
      "$venv/bin/mlflow" server "${args[@]}" \
      >"$data/server.log" 2>&1 </dev/null &)
  # wait for the pid file so that stop can always find the group
  local i
  for i in $(seq 1 100); do [[ -s "$data/server.pid" ]] && break; sleep 0.05; done
  [[ -s "$data/server.pid" ]] || die "$name: no pid file"
  log "$name: mlflow $major.x starting on 127.0.0.1:$port (pgid $(cat "$data/server.pid"))"
}

check_health() { # check_health NAME -> 0 when /health answers 200, 1 while starting; dies if dead / too late
  local name="$1" data="$STATE/$1"
  if [[ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(cat "$data/port")/health" 2>/dev/null)" == 200 ]]; then
    return 0
  fi
  if ! kill -0 -- "-$(cat "$data/server.pid")" 2>/dev/null; then
    echo "---- $data/server.log (tail) ----" >&2; tail -n 40 "$data/server.log" >&2
    die "$name: server exited before becoming healthy"
  fi
  if ((SECONDS >= HEALTH_DEADLINE)); then
    echo "---- $data/server.log (tail) ----" >&2; tail -n 40 "$data/server.log" >&2
    die "$name: no /health answer within ${MLGATE_HEALTH_TIMEOUT:-120}s"
  fi
  return 1
}

populate_one() { # populate_one NAME  (runs in a subshell; writes $STATE/NAME/populate.{log,rc,secs})
  local name="$1" data="$STATE/$1" venv t0="${EPOCHREALTIME}" rc=0
  case "$name" in mlflow3*) venv="$VENV3" ;; mlflow2*) venv="$VENV2" ;; esac
  local cmd=("$venv/bin/python" "$HERE/populate.py" --tracking-uri "http://127.0.0.1:$(cat "$data/port")"
    --out "$STATE/$name.ids.json")
  (
    cd "$data"
    echo "$BASHPID" >"$data/populate.pid" # = python's pid after exec; do_stop kills it
    export MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true
    unset MLFLOW_TRACKING_URI MLFLOW_REGISTRY_URI MLFLOW_TRACKING_USERNAME MLFLOW_TRACKING_PASSWORD
    if [[ "$name" == *-auth ]]; then
      export MLFLOW_TRACKING_USERNAME="$ADMIN_USER" MLFLOW_TRACKING_PASSWORD="$ADMIN_PASSWORD"
      export MLGATE_TEST_AUTH_READER_USER="$READER_USER" MLGATE_TEST_AUTH_READER_PASSWORD="$READER_PASSWORD"
      export MLGATE_TEST_AUTH_NOGRANT_USER="$NOGRANT_USER" MLGATE_TEST_AUTH_NOGRANT_PASSWORD="$NOGRANT_PASSWORD"
      export MLGATE_TEST_AUTH_MANAGER_USER="$MANAGER_USER" MLGATE_TEST_AUTH_MANAGER_PASSWORD="$MANAGER_PASSWORD"
      exec "${cmd[@]}" --auth
    fi
    exec "${cmd[@]}"
  ) >"$data/populate.log" 2>&1 || rc=$?
  rm -f "$data/populate.pid"
  since "$t0" >"$data/populate.secs"
  echo "$rc" >"$data/populate.rc"
}

do_start() {
  local servers=(${MLGATE_SERVERS:-$ALL_SERVERS}) name
  for name in "${servers[@]}"; do
    [[ " $ALL_SERVERS " == *" $name "* ]] || die "unknown server '$name' in MLGATE_SERVERS (known: $ALL_SERVERS)"
  done
  ((${#servers[@]})) || die "MLGATE_SERVERS is empty"
  mkdir -p "$STATE"
  STATE="$(cd "$STATE" && pwd)"
  # leftovers from an earlier run in the same STATE_DIR
  do_stop "$STATE"
  for name in $ALL_SERVERS; do rm -rf "${STATE:?}/$name" "$STATE/$name.ids.json"; done
  rm -f "$STATE/env.sh"
  trap 'rc=$?; if ((rc != 0)); then log "start failed (exit $rc); stopping what was started"; do_stop "$STATE"; fi' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  local cache="${MLGATE_CACHE_DIR:-${HOME:-/tmp}/.cache/mlgate}" need3=0 need2=0
  mkdir -p "$cache"
  cache="$(cd "$cache" && pwd)"
  VENV3="$cache/venv3"; VENV2="$cache/venv2"
  for name in "${servers[@]}"; do
    case "$name" in mlflow3*) need3=1 ;; mlflow2*) need2=1 ;; esac
  done
  # one installer at a time per cache dir (parallel CI jobs on one machine)
  exec 9>"$cache/.lock"
  flock 9
  local t_inst="${EPOCHREALTIME}"
  if ((need3 && need2)); then
    # both installs are mostly download/unpack time: run them side by side
    ensure_venv "$VENV3" "$MLFLOW3_SPEC" & local p3=$!
    ensure_venv "$VENV2" "$MLFLOW2_SPEC" "$MLFLOW2_EXTRA" & local p2=$!
    local rc3=0 rc2=0
    wait "$p3" || rc3=$?
    wait "$p2" || rc2=$?
    ((rc3 == 0 && rc2 == 0)) || die "venv installation failed"
  elif ((need3)); then
    ensure_venv "$VENV3" "$MLFLOW3_SPEC"
  else
    ensure_venv "$VENV2" "$MLFLOW2_SPEC" "$MLFLOW2_EXTRA"
  fi
  flock -u 9
  exec 9>&-
  log "venvs ready in $(since "$t_inst") s"

  local ports=() i=0
  mapfile -t ports < <(free_ports "${#servers[@]}")
  local t_srv="${EPOCHREALTIME}"
  for name in "${servers[@]}"; do
    launch "$name" "${ports[$i]}"
    i=$((i + 1))
  done

  # Populate each server as soon as it is healthy, longest job first (basic-auth 2.x pays
  # ~200 ms of password hashing per request), at most MLGATE_POPULATE_JOBS at a time.
  HEALTH_DEADLINE=$((SECONDS + ${MLGATE_HEALTH_TIMEOUT:-120}))
  local order=() jobs="${MLGATE_POPULATE_JOBS:-2}" failed=0 n_healthy=0 pid picked
  for name in mlflow2-auth mlflow3-auth mlflow3 mlflow2; do
    if [[ " ${servers[*]} " == *" $name "* ]]; then order+=("$name"); fi
  done
  local -A pid_of=() healthy=()
  local queue=("${order[@]}")
  while ((${#queue[@]} || ${#pid_of[@]})); do
    for name in "${servers[@]}"; do
      [[ -n "${healthy[$name]:-}" ]] && continue
      if check_health "$name"; then
        healthy[$name]=1; n_healthy=$((n_healthy + 1))
        log "$name: healthy after $(since "$t_srv") s"
        if ((n_healthy == ${#servers[@]})); then log "all $n_healthy server(s) healthy"; fi
      fi
    done
    picked=""
    if ((${#pid_of[@]} < jobs)); then
      for name in "${queue[@]+"${queue[@]}"}"; do
        if [[ -n "${healthy[$name]:-}" ]]; then picked="$name"; break; fi
      done
    fi
    if [[ -n "$picked" ]]; then
      local rest=()
      for name in "${queue[@]}"; do [[ "$name" == "$picked" ]] || rest+=("$name"); done
      queue=("${rest[@]+"${rest[@]}"}")
      log "$picked: populating ..."
      populate_one "$picked" &
      pid_of[$picked]=$!
      continue
    fi
    sleep 0.25
    for name in "${!pid_of[@]}"; do
      pid="${pid_of[$name]}"
      kill -0 "$pid" 2>/dev/null && continue
      wait "$pid" || true
      unset "pid_of[$name]"
      if [[ "$(cat "$STATE/$name/populate.rc" 2>/dev/null)" != 0 ]]; then
        echo "---- $STATE/$name/populate.log (tail) ----" >&2; tail -n 40 "$STATE/$name/populate.log" >&2
        log "$name: populate FAILED"; failed=1
      else
        log "$name: populated in $(cat "$STATE/$name/populate.secs") s -> $STATE/$name.ids.json"
      fi
    done
  done
  ((failed == 0)) || die "populate failed"
  log "servers started and populated in $(since "$t_srv") s"

  local env="$STATE/env.sh" any_auth=0
  {
    echo "# written by scripts/live/servers.sh start; source it"
    printf 'export MLGATE_TEST_STATE_DIR=%q\n' "$STATE"
    for name in "${servers[@]}"; do
      local var
      case "$name" in
        mlflow3) var=MLFLOW3 ;; mlflow2) var=MLFLOW2 ;;
        mlflow3-auth) var=MLFLOW3_AUTH; any_auth=1 ;; mlflow2-auth) var=MLFLOW2_AUTH; any_auth=1 ;;
      esac
      printf 'export MLGATE_TEST_%s_URI=%q\n' "$var" "http://127.0.0.1:$(cat "$STATE/$name/port")"
      printf 'export MLGATE_TEST_%s_IDS=%q\n' "$var" "$STATE/$name.ids.json"
    done
    ((need3)) && printf 'export MLGATE_TEST_MLFLOW3_PYTHON=%q\n' "$VENV3/bin/python"
    ((need2)) && printf 'export MLGATE_TEST_MLFLOW2_PYTHON=%q\n' "$VENV2/bin/python"
    if ((any_auth)); then
      printf 'export MLGATE_TEST_AUTH_ADMIN_USER=%q\n' "$ADMIN_USER"
      printf 'export MLGATE_TEST_AUTH_ADMIN_PASSWORD=%q\n' "$ADMIN_PASSWORD"
      printf 'export MLGATE_TEST_AUTH_READER_USER=%q\n' "$READER_USER"
      printf 'export MLGATE_TEST_AUTH_READER_PASSWORD=%q\n' "$READER_PASSWORD"
      printf 'export MLGATE_TEST_AUTH_NOGRANT_USER=%q\n' "$NOGRANT_USER"
      printf 'export MLGATE_TEST_AUTH_NOGRANT_PASSWORD=%q\n' "$NOGRANT_PASSWORD"
      printf 'export MLGATE_TEST_AUTH_MANAGER_USER=%q\n' "$MANAGER_USER"
      printf 'export MLGATE_TEST_AUTH_MANAGER_PASSWORD=%q\n' "$MANAGER_PASSWORD"
    fi
  } >"$env"
  log "ready: source $env"
}

cmd="${1:-}"; STATE="${2:-}"
[[ -n "$cmd" && -n "$STATE" ]] || usage
case "$cmd" in
  start) do_start ;;
  stop)
    if [[ -d "$STATE" ]]; then STATE="$(cd "$STATE" && pwd)"; fi
    do_stop "$STATE"
    ;;
  *) usage ;;
esac
