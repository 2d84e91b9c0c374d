#!/usr/bin/env bash
# The GitHub Action's one step (action.yml at the repository root): turn the inputs into an
# mlgate command line, install mlgate (scripts/action/install.sh), run it with --github, and
# expose its verdict, counts, exit code and output paths as step outputs — also when it fails —
# then exit with mlgate's own code.
#
# Inputs arrive only as INPUT_* environment variables (action.yml maps each one), never
# pasted into script text, so no input value can become shell code. Lists (policies, waivers,
# args) are split on whitespace, without globbing or quote processing.
#
# Outputs written to $GITHUB_OUTPUT: whatever mlgate writes (verdict, gather_errors, one count
# per outcome: pass, fail, error, skipped, waived; promote: promoted, promotion), then exit-code, version,
# path and the report/junit/json/sarif paths that were asked for. When mlgate stops before judging (exit 2,
# a usage error) verdict is `error`. When mlgate could not be installed, only verdict=error is
# written (exit-code stays empty: mlgate never ran) and the step fails with the installer's code.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# One step output, in the `name<<DELIMITER` form, so a value holding a newline cannot forge
# another output.
output() {
  [ -n "${GITHUB_OUTPUT:-}" ] || return 0
  local delimiter="mlgate_${RANDOM}${RANDOM}${RANDOM}"
  while [[ $2 == *"$delimiter"* ]]; do delimiter="mlgate_${RANDOM}${RANDOM}${RANDOM}"; done
  printf '%s<<%s\n%s\n%s\n' "$1" "$delimiter" "$2" "$delimiter" >>"$GITHUB_OUTPUT"
}

summary() {
  [ -n "${GITHUB_STEP_SUMMARY:-}" ] || return 0
  printf '%s\n' "$@" >>"$GITHUB_STEP_SUMMARY"
}

# Text for a workflow-command message: GitHub's own escapes (`%` as %25, CR as %0D, LF as
# %0A; actions/toolkit escapeData), so a value quoted in it can never end the line and start a
# `::command` of its own.
command_data() {
  local text=${1//%/%25}
  text=${text//$'\r'/%0D}
  printf '%s' "${text//$'\n'/%0A}"
}

# A bad input: explained as an annotation, exit 2 like any mlgate usage error.
usage() {
  local message
  message=$(command_data "$*")
  printf '::error title=mlgate action::%s\n' "$message" >&2
  output verdict error
  output exit-code 2
  summary "### mlgate: not run — $message" ""
  exit 2
}

# Every input that holds one value is one line: a line break in it is refused before it is
# used or echoed anywhere (the lists policies, waivers and args are split on any whitespace).
for input in COMMAND MODEL SNAPSHOT EXAMPLE FAIL_ON TARGET_STAGE TARGET_ALIAS TO_ALIAS TO_STAGE \
  APPROVE_REQUEST DRY_RUN EXPECT_INCUMBENT REPORT JUNIT JSON SARIF TRACKING_URI REGISTRY_URI \
  WORKING_DIRECTORY VERSION BUILD_FALLBACK; do
  var="INPUT_$input"
  case "${!var:-}" in
    *$'\n'* | *$'\r'*)
      name=$(printf '%s' "$input" | tr '[:upper:]_' '[:lower:]-')
      usage "input \`$name\` must be one line: it holds a line break"
      ;;
  esac
done

# $1 with the userinfo of a URI masked: everything up to the last `@` of its authority (which
# ends at the first `/`, so a `?` or `#` in a password hides it too) becomes `***@`. A value
# with no `@` before its first `/` is left as it is.
mask_userinfo() {
  local value=$1 scheme="" rest authority
  if [[ $value == *://* ]]; then
    scheme="${value%%://*}://"
    rest=${value#*://}
  else
    rest=$value
  fi
  authority=${rest%%/*}
  if [[ $authority == *@* ]]; then
    printf '%s***@%s' "$scheme" "${rest#"${authority%@*}"@}"
  else
    printf '%s' "$value"
  fi
}

# Whitespace-separated words of $1 into WORDS; `set -f` keeps `*` and `?` literal. (Written
# for bash 3.2 too, macOS's /bin/bash: no namerefs, no ${x,,}, and empty arrays expanded as
# ${a[@]+"${a[@]}"} under `set -u`.)
words() {
  WORDS=()
  set -f
  # shellcheck disable=SC2206 # splitting is the point
  WORDS=($1)
  set +f
}

truthy() {
  case "$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]')" in
    true) return 0 ;;
    false | "") return 1 ;;
    *) usage "input \`$2\` must be true or false, not \`$1\`" ;;
  esac
}

command=${INPUT_COMMAND:-check}
case "$command" in
  check | promote) ;;
  *) usage "input \`command\` must be \`check\` or \`promote\`, not \`$command\`" ;;
esac

args=("$command" --github)
# Inputs that only one command takes: refused with a clear message rather than by clap.
only() {
  local wanted=$1 name=$2 value=$3
  if [ -n "$value" ] && [ "$command" != "$wanted" ]; then
    usage "input \`$name\` applies to \`command: $wanted\`, not \`$command\`"
  fi
  [ -n "$value" ]
}

if only check snapshot "${INPUT_SNAPSHOT:-}"; then args+=(--snapshot "$INPUT_SNAPSHOT"); fi
if truthy "${INPUT_EXAMPLE:-false}" example; then
  [ "$command" = check ] || usage "input \`example\` applies to \`command: check\`, not \`$command\`"
  args+=(--example)
fi
if only check target-stage "${INPUT_TARGET_STAGE:-}"; then args+=(--target-stage "$INPUT_TARGET_STAGE"); fi
if only check target-alias "${INPUT_TARGET_ALIAS:-}"; then args+=(--target-alias "$INPUT_TARGET_ALIAS"); fi
if only promote to-alias "${INPUT_TO_ALIAS:-}"; then args+=(--to-alias "$INPUT_TO_ALIAS"); fi
if only promote to-stage "${INPUT_TO_STAGE:-}"; then args+=(--to-stage "$INPUT_TO_STAGE"); fi
if only promote approve-request "${INPUT_APPROVE_REQUEST:-}"; then args+=(--approve-request "$INPUT_APPROVE_REQUEST"); fi
if only promote expect-incumbent "${INPUT_EXPECT_INCUMBENT:-}"; then args+=(--expect-incumbent "$INPUT_EXPECT_INCUMBENT"); fi
if truthy "${INPUT_DRY_RUN:-false}" dry-run; then
  [ "$command" = promote ] || usage "input \`dry-run\` applies to \`command: promote\`, not \`$command\`"
  args+=(--dry-run)
fi

words "${INPUT_POLICIES:-}"
for p in ${WORDS[@]+"${WORDS[@]}"}; do args+=(--policy "$p"); done
words "${INPUT_WAIVERS:-}"
for w in ${WORDS[@]+"${WORDS[@]}"}; do args+=(--waivers "$w"); done
[ -z "${INPUT_FAIL_ON:-}" ] || args+=(--fail-on "$INPUT_FAIL_ON")
[ -z "${INPUT_TRACKING_URI:-}" ] || args+=(--tracking-uri "$INPUT_TRACKING_URI")
[ -z "${INPUT_REGISTRY_URI:-}" ] || args+=(--registry-uri "$INPUT_REGISTRY_URI")
[ -z "${INPUT_REPORT:-}" ] || args+=(--report "$INPUT_REPORT")
[ -z "${INPUT_JUNIT:-}" ] || args+=(--junit "$INPUT_JUNIT")
[ -z "${INPUT_JSON:-}" ] || args+=(--json "$INPUT_JSON")
[ -z "${INPUT_SARIF:-}" ] || args+=(--sarif "$INPUT_SARIF")
words "${INPUT_ARGS:-}"
args+=(${WORDS[@]+"${WORDS[@]}"})
# The model reference goes last, after `--`, so a value starting with `-` is never a flag.
model=${INPUT_MODEL:-}
if [ -n "$model" ]; then
  args+=(-- "$model")
elif [ "$command" = promote ]; then
  usage "input \`model\` is required with \`command: promote\`"
elif [ -z "${INPUT_SNAPSHOT:-}" ] && ! truthy "${INPUT_EXAMPLE:-false}" example \
  && [[ " ${WORDS[*]-} " != *" --all-models "* ]]; then
  usage "one of the inputs \`model\`, \`snapshot\` or \`example: true\` is required (or \`--all-models\` in \`args\`)"
fi

if [ -n "${INPUT_WORKING_DIRECTORY:-}" ]; then
  cd "$INPUT_WORKING_DIRECTORY" || usage "working-directory \`$INPUT_WORKING_DIRECTORY\` does not exist"
fi

status=0
bin=$(bash "$here/install.sh") || status=$?
if [ "$status" != 0 ]; then
  output verdict error
  summary "### mlgate: not run — mlgate could not be installed (see the step log)" ""
  exit "$status"
fi

# mlgate appends its outputs to a file of its own; they are copied over below, after which
# the action adds what only it knows. The summary goes straight to the job's.
outputs=$(mktemp "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/mlgate-outputs.XXXXXX")
# The command line, for the log, each word quoted as the shell would read it; the user and
# password of a URL (`https://user:p@ss@host`) are masked whole, up to the last `@` before the
# host: in any `scheme://` word and in the values of --tracking-uri and --registry-uri (with
# or without a scheme; never a model reference such as `catalog.schema.model@alias`).
line=""
previous=""
for arg in "${args[@]}"; do
  word=$(printf '%q' "$arg")
  if [[ $arg == *://* || $previous == --tracking-uri || $previous == --registry-uri ]]; then
    word=$(mask_userinfo "$word")
  fi
  line+=" $word"
  previous=$arg
done
printf 'mlgate:%s\n' "$line"
code=0
GITHUB_OUTPUT=$outputs "$bin" "${args[@]}" || code=$?

if [ -n "${GITHUB_OUTPUT:-}" ]; then
  cat "$outputs" >>"$GITHUB_OUTPUT"
fi
if ! grep -q '^verdict=' "$outputs"; then
  output verdict error
  case "$code" in
    2) why="usage or policy-file error" ;;
    3) why="could not gather" ;;
    *) why="no verdict" ;;
  esac
  summary "### mlgate: ERROR — exit $code ($why); see the step log" ""
fi
# promote: whether the version moved. mlgate writes `promoted` itself; when it did not (an
# mlgate from before that output, or one that stopped before judging), the exit code says:
# 0 moved (unless a dry run), 5 moved but not recorded, anything else nothing moved.
if [ "$command" = promote ] && ! grep -q '^promoted=' "$outputs"; then
  promoted=false
  if { [ "$code" = 0 ] && ! truthy "${INPUT_DRY_RUN:-false}" dry-run; } || [ "$code" = 5 ]; then
    promoted=true
  fi
  output promoted "$promoted"
fi
# promote: what the promotion did (moved, not_moved, dry_run, already_held, unknown); empty
# when mlgate stopped before it knew the candidate (or predates that output).
if [ "$command" = promote ] && ! grep -q '^promotion=' "$outputs"; then
  output promotion ""
fi
rm -f "$outputs"
output exit-code "$code"
output version "$("$bin" --version)"
output path "$bin"
[ -z "${INPUT_REPORT:-}" ] || output report "$INPUT_REPORT"
[ -z "${INPUT_JUNIT:-}" ] || output junit "$INPUT_JUNIT"
[ -z "${INPUT_JSON:-}" ] || output json "$INPUT_JSON"
[ -z "${INPUT_SARIF:-}" ] || output sarif "$INPUT_SARIF"
exit "$code"
