#!/usr/bin/env bash
# Installs mlgate for the GitHub Action (action.yml at the repository root) and prints the
# binary's path on stdout (everything else goes to stderr).
#
# The release archive for this runner, `mlgate-<version>-<target>.tar.gz` (`.zip` on Windows)
# with `mlgate-<version>-<target>/mlgate[.exe]` inside, as .github/workflows/release.yml builds
# it, is downloaded from the `v<version>` release and checked against its `.sha256`: a
# mismatch or a missing checksum is refused, never installed. When no release matches (an
# unreleased commit, `uses: ./`, a runner without a prebuilt target) mlgate is built from the
# action's own checkout with `cargo build --release --locked`.
#
# Environment (GitHub sets the first two; action.yml maps the inputs):
#   RUNNER_OS, RUNNER_ARCH    Linux | macOS | Windows, X64 | ARM64
#   INPUT_VERSION             empty: the action's own version (a `vX.Y.Z` ref, else the
#                             version in its Cargo.toml); `X.Y.Z` or `vX.Y.Z`; `source` (build)
#   INPUT_BUILD_FALLBACK      `true` (default) or `false`: fail instead of building
#   MLGATE_ACTION_REF         github.action_ref; MLGATE_ACTION_REPOSITORY github.action_repository
#                             (when empty: read off $GITHUB_ACTION_PATH, else $GITHUB_REPOSITORY)
#   MLGATE_RELEASE_BASE       download base instead of <server>/<repository>/releases/download
#                             (a mirror; the tests use file://); the archive is
#                             <base>/v<version>/<archive>
#   MLGATE_SOURCE_DIR         the checkout to build from [default: $GITHUB_ACTION_PATH, else
#                             this script's repository]
#   MLGATE_INSTALL_DIR        where archives are unpacked [default: $RUNNER_TEMP/mlgate-action]
#   GITHUB_PATH               when set, the binary's folder is appended (later steps can run
#                             `mlgate`)
set -euo pipefail

log() { printf '%s\n' "$*" >&2; }
fail() {
  # A workflow command, so the reason is an annotation on the run, not only a log line.
  # GitHub's escapes (actions/toolkit escapeData): a value in the reason cannot end the line.
  local message=${*//%/%25}
  message=${message//$'\r'/%0D}
  printf '::error title=mlgate install::%s\n' "${message//$'\n'/%0A}" >&2
  exit 1
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${MLGATE_SOURCE_DIR:-${GITHUB_ACTION_PATH:-$here/../..}}
src=$(cd "$src" && pwd)

# ---- which repository and ref the action was used from --------------------------------------
# github.action_repository / action_ref, else read off the folder the runner unpacked the
# action into (<…>/_actions/OWNER/REPO/REF; those contexts are not always set inside composite
# actions); a local `uses: ./` runs from the workflow's own repository.
repository=${MLGATE_ACTION_REPOSITORY:-}
ref=${MLGATE_ACTION_REF:-}
action_path=${GITHUB_ACTION_PATH:-}
action_path=${action_path//\\//} # Windows: D:\a\_actions\… → D:/a/_actions/…
if [[ $action_path =~ /_actions/([^/]+)/([^/]+)/([^/]+)/?$ ]]; then
  repository=${repository:-${BASH_REMATCH[1]}/${BASH_REMATCH[2]}}
  ref=${ref:-${BASH_REMATCH[3]}}
fi
repository=${repository:-${GITHUB_REPOSITORY:-mlgate/mlgate}}

# ---- which version --------------------------------------------------------------------------
version=${INPUT_VERSION:-}
if [ -z "$version" ]; then
  if [[ $ref =~ ^v([0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?)$ ]]; then
    version=${BASH_REMATCH[1]}
  else
    # `uses: mlgate/mlgate@v0`, a branch or a commit: the version its Cargo.toml declares.
    version=$(sed -n 's/^version = "\([^"]*\)"$/\1/p' "$src/Cargo.toml" 2>/dev/null | head -n 1)
    [ -n "$version" ] || fail "cannot tell the action's version: no version in $src/Cargo.toml; set the version input"
  fi
fi
version=${version#v}
if [ "$version" != source ] && ! [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]]; then
  fail "version \`$version\` is not a release version (X.Y.Z or vX.Y.Z) nor \`source\`"
fi

# ---- which archive --------------------------------------------------------------------------
exe=""
ext=tar.gz
case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
  Linux/X64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64) target=aarch64-unknown-linux-musl ;;
  macOS/X64) target=x86_64-apple-darwin ;;
  macOS/ARM64) target=aarch64-apple-darwin ;;
  Windows/X64) target=x86_64-pc-windows-msvc exe=.exe ext=zip ;;
  *) target="" ;;
esac
case "${RUNNER_OS:-}" in Windows) exe=.exe ;; esac

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  else
    shasum -a 256 "$1" | cut -d ' ' -f 1
  fi
}

fetch() {
  # --fail: an HTTP error is a failed download, not an HTML page saved as the archive.
  # https (or file:// for a local mirror) only, and redirects only to https.
  curl --fail --silent --show-error --location --retry 3 --retry-delay 2 \
    --proto '=https,file' --proto-redir '=https' --output "$2" "$1"
}

unpack() {
  local archive=$1 dir=$2
  case "$archive" in
    *.zip)
      if command -v unzip >/dev/null 2>&1; then
        unzip -q -o "$archive" -d "$dir"
      elif command -v 7z >/dev/null 2>&1; then
        7z x -y -o"$dir" "$archive" >/dev/null
      else
        # shellcheck disable=SC2016 # PowerShell expands $env:A and $env:D itself
        A="$archive" D="$dir" powershell -NoProfile -Command \
          'Expand-Archive -Force -LiteralPath $env:A -DestinationPath $env:D'
      fi
      ;;
    *) tar -xzf "$archive" -C "$dir" ;;
  esac
}

# Downloads, verifies and unpacks the release archive; prints the binary's path. Returns 3
# when there is no such release (the caller may build instead); any other problem fails.
from_release() {
  local base name dir archive expected actual bin
  base=${MLGATE_RELEASE_BASE:-${GITHUB_SERVER_URL:-https://github.com}/$repository/releases/download}
  name=mlgate-$version-$target
  dir=${MLGATE_INSTALL_DIR:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/mlgate-action}
  archive=$dir/$name.$ext
  rm -rf "${dir:?}/$name" "$archive" "$archive.sha256"
  mkdir -p "$dir"
  log "mlgate: downloading $base/v$version/$name.$ext"
  if ! fetch "$base/v$version/$name.$ext" "$archive"; then
    log "mlgate: no release archive $name.$ext at $base/v$version"
    return 3
  fi
  fetch "$base/v$version/$name.$ext.sha256" "$archive.sha256" ||
    fail "release v$version has $name.$ext but no $name.$ext.sha256: refusing to install an unverified binary"
  read -r expected _ <"$archive.sha256" || true
  expected=$(printf '%s' "${expected:-}" | tr 'A-F' 'a-f')
  [[ $expected =~ ^[0-9a-f]{64}$ ]] ||
    fail "$name.$ext.sha256 does not hold a SHA-256 digest: refusing to install"
  actual=$(sha256 "$archive")
  [ "$actual" = "$expected" ] ||
    fail "checksum mismatch for $name.$ext: expected $expected, got $actual; refusing to install (a corrupt or tampered download)"
  log "mlgate: SHA-256 verified ($actual)"
  unpack "$archive" "$dir"
  bin=$dir/$name/mlgate$exe
  [ -f "$bin" ] || fail "$name.$ext does not hold $name/mlgate$exe"
  chmod +x "$bin"
  printf '%s\n' "$bin"
}

from_source() {
  local why=$1 target_dir
  [ "${INPUT_BUILD_FALLBACK:-true}" = true ] ||
    fail "$why, and build-fallback is off"
  command -v cargo >/dev/null 2>&1 ||
    fail "$why, and cargo is not installed to build mlgate from $src (add a Rust toolchain step)"
  printf '::notice title=mlgate install::%s: building mlgate from %s (cargo build --release --locked)\n' "$why" "$src" >&2
  (cd "$src" && cargo build --release --locked --bin mlgate) >&2
  target_dir=${CARGO_TARGET_DIR:-target}
  case "$target_dir" in /* | [A-Za-z]:[\\/]*) ;; *) target_dir=$src/$target_dir ;; esac
  [ -f "$target_dir/release/mlgate$exe" ] || fail "cargo build succeeded but $target_dir/release/mlgate$exe is missing"
  printf '%s\n' "$target_dir/release/mlgate$exe"
}

if [ "$version" = source ]; then
  bin=$(from_source "version: source")
elif [ -z "$target" ]; then
  bin=$(from_source "no prebuilt mlgate for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}")
else
  status=0
  bin=$(from_release) || status=$?
  if [ "$status" = 3 ]; then
    bin=$(from_source "no release archive mlgate-$version-$target.$ext for v$version")
  elif [ "$status" != 0 ]; then
    exit "$status"
  fi
fi

installed=$("$bin" --version) || fail "$bin does not run on this runner (${RUNNER_OS:-?}/${RUNNER_ARCH:-?})"
log "mlgate: installed $installed at $bin"
if [ -n "${GITHUB_PATH:-}" ]; then
  dirname "$bin" >>"$GITHUB_PATH"
fi
printf '%s\n' "$bin"
