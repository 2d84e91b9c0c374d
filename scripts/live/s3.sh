#!/usr/bin/env bash
# Start / stop an S3-compatible server (moto) on loopback for the Unity Catalog S3 tests
# (tests/it/databricks/uc_s3.rs), with signature checking on.
#
# Usage:
#   scripts/live/s3.sh start STATE_DIR
#   scripts/live/s3.sh stop  STATE_DIR
#
# start
#   1. Installs pinned moto[server] into a cached venv ($MLGATE_CACHE_DIR/venv-moto, default
#      $HOME/.cache/mlgate; python: $MLGATE_PYTHON or python3), skipped when already there.
#   2. Starts `moto_server` on a free 127.0.0.1 port in its own process group, with
#      INITIAL_NO_AUTH_ACTION_COUNT=3: the first three actions (creating an admin IAM user, its
#      policy and its key) go unchecked, every later request must carry a valid SigV4
#      `Authorization` header from a known key — and for temporary (ASIA…) keys the matching
#      `x-amz-security-token` (moto/iam/access_control.py). moto checks only header
#      signatures, not presigned URLs; mlgate signs in the header, as boto3 does.
#   3. Runs s3_setup.py: as the admin, a role `uc-reader` allowed to read the bucket, the
#      bucket `uc-metastore-bucket` with a model version's files (MLmodel, input example,
#      model.pkl) under the UC-style prefix the Databricks mock names, then sts:AssumeRole for
#      temporary credentials — what Unity Catalog hands out.
#   4. Writes STATE_DIR/env.sh (source it): MLGATE_TEST_S3_URL, MLGATE_TEST_S3_BUCKET,
#      MLGATE_TEST_S3_ACCESS_KEY_ID, MLGATE_TEST_S3_SECRET_ACCESS_KEY,
#      MLGATE_TEST_S3_SESSION_TOKEN.
#   On failure start stops what it started and exits non-zero.
#
# stop
#   Kills the server's process group (SIGTERM, SIGKILL after 10 s). Safe to call twice.
#
# Needs curl, setsid; PyPI on first run.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MOTO_SPEC="moto[server]==5.2.5"
CACHE="${MLGATE_CACHE_DIR:-$HOME/.cache/mlgate}"
VENV="$CACHE/venv-moto"
PREFIX="b169b504-4c54-49f2-bc3a-adf4b128f36d/models/07ed8e06-e5d4-4015-85f7-3ac30b09a5d0/versions/e882ef11-67fa-40f1-8511-57e4f095782b"

log() { printf '[s3] %s\n' "$*"; }
die() { log "ERROR: $*" >&2; exit 1; }

do_stop() {
  local state="$1" pgid i
  [[ -f "$state/server.pid" ]] || return 0
  pgid="$(cat "$state/server.pid" 2>/dev/null || true)"
  if [[ "$pgid" =~ ^[0-9]+$ ]] && kill -0 -- "-$pgid" 2>/dev/null; then
    kill -TERM -- "-$pgid" 2>/dev/null || true
    for i in $(seq 1 50); do
      kill -0 -- "-$pgid" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL -- "-$pgid" 2>/dev/null || true
    log "stopped moto (process group $pgid)"
  fi
  rm -f "$state/server.pid"
}

ensure_venv() {
  local marker="$VENV/.mlgate-installed"
  if [[ -f "$marker" && "$(cat "$marker")" == "$MOTO_SPEC" && -x "$VENV/bin/moto_server" ]]; then
    return 0
  fi
  log "installing $MOTO_SPEC into $VENV"
  rm -rf "$VENV"
  mkdir -p "$CACHE"
  "${MLGATE_PYTHON:-python3}" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "$MOTO_SPEC" >"$CACHE/venv-moto.pip.log" 2>&1 ||
    die "pip install failed (see $CACHE/venv-moto.pip.log)"
  echo "$MOTO_SPEC" >"$marker"
}

do_start() {
  local state="$1" port i
  do_stop "$state"
  mkdir -p "$state"
  trap 'do_stop "$state"' ERR INT TERM
  ensure_venv
  port="$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  # The pid written is the new process group's leader (see servers.sh `launch`).
  # shellcheck disable=SC2016
  (env INITIAL_NO_AUTH_ACTION_COUNT=3 MOTO_ALLOW_NONEXISTENT_REGION=true \
    setsid bash -c 'echo $$ >"$0"; exec "$@"' "$state/server.pid" \
    "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$state/server.log" 2>&1 </dev/null &)
  for i in $(seq 1 100); do [[ -s "$state/server.pid" ]] && break; sleep 0.05; done
  [[ -s "$state/server.pid" ]] || die "no pid file"
  # /moto-api/ is moto's own dashboard: it answers without counting as an AWS action.
  for i in $(seq 1 300); do
    [[ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/moto-api/" 2>/dev/null)" == 200 ]] && break
    kill -0 -- "-$(cat "$state/server.pid")" 2>/dev/null || die "moto exited: $(tail -n 5 "$state/server.log")"
    sleep 0.2
  done
  ((i < 300)) || die "moto did not answer within 60 s"
  log "moto listening on 127.0.0.1:$port (pgid $(cat "$state/server.pid"))"
  "$VENV/bin/python" "$HERE/s3_setup.py" "http://127.0.0.1:$port" uc-metastore-bucket "$PREFIX" \
    "$HERE/../../tests/fixtures/databricks/files" >"$state/env.sh.tmp" ||
    die "setup failed"
  mv "$state/env.sh.tmp" "$state/env.sh"
  trap - ERR INT TERM
  log "bucket ready; temporary credentials in $state/env.sh"
}

[[ $# == 2 ]] || { echo "usage: $0 start|stop STATE_DIR" >&2; exit 2; }
case "$1" in
  start) do_start "$2" ;;
  stop) do_stop "$2" ;;
  *) echo "usage: $0 start|stop STATE_DIR" >&2; exit 2 ;;
esac
